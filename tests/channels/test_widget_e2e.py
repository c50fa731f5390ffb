"""The chat widget in a real headless Chromium (Debian's, driven by Playwright) against
what `make serve` starts (scripts/serve.sh): `rasa run` and the demo page, on loopback.

What the bot should answer comes from a REST conversation with the same server fed
the same messages: the widget must show exactly that.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.paths import ROOT
from bot.testing.rest import say as rest_say
from bot.testing.server import free_port, wait_for_http
from tests.support.chat_clients import normalise
from tests.support.tcp_proxy import TcpProxy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "results" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Served:
    url: str  # the Rasa server
    port: int
    web_origin: str  # the static server with the demo page


@pytest.fixture(scope="module")
def server(trained_model: Path, tmp_path_factory) -> Iterator[Served]:
    """`make serve`'s script on free ports: Rasa with credentials.yml, and the demo page."""
    subprocess.run(["make", "--no-print-directory", "widget"], cwd=ROOT, check=True)
    rasa_port, web_port = free_port(), free_port()
    served = Served(f"http://127.0.0.1:{rasa_port}", rasa_port, f"http://127.0.0.1:{web_port}")
    env = {
        **os.environ,
        "RASA_PORT": str(rasa_port),
        "WEB_PORT": str(web_port),
        "MODEL": str(trained_model),
        "CHAT_WIDGET_ORIGINS": served.web_origin,
    }
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(ROOT / "scripts/serve.sh")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    try:
        wait_for_http(served.web_origin + "/demo/", 60, proc)
        wait_for_http(served.url + "/", 240, proc)
        yield served
    except Exception:
        sys.stderr.write(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "chromium missing: run scripts/install-chromium.sh"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page_for(browser: Browser, server: Served) -> Iterator:
    """Open the demo page against a server URL, in a fresh browser profile."""
    contexts = []

    def open_page(server_url: str, **context_options) -> Page:
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []  # any alert() would be an injected script running
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{server.web_origin}/demo/?server={server_url}")
        return page

    yield open_page
    for context in contexts:
        context.close()


# a bubble's text without the "Bot: "/"You: " prefix only screen readers get
BUBBLE_TEXT = """bubbles => bubbles.map(bubble => [...bubble.childNodes]
    .filter(node => !(node.classList && node.classList.contains("sr-only")))
    .map(node => node.textContent).join(""))"""


# records whether the typing indicator was ever visible
WATCH_TYPING = """() => {
    const root = document.querySelector(".chat-widget-host").shadowRoot;
    window.typingShown = false;
    new MutationObserver(() => {
        const typing = root.querySelector(".typing");
        if (typing && !typing.hidden) window.typingShown = true;
    }).observe(root, { subtree: true, childList: true, attributes: true });
}"""


def bot_texts(page: Page) -> list[str]:
    return page.locator(".msg.bot").evaluate_all(BUBBLE_TEXT)


def user_texts(page: Page) -> list[str]:
    return page.locator(".msg.user").evaluate_all(BUBBLE_TEXT)


def wait_for_bot_count(page: Page, count: int) -> None:
    expect(page.locator(".msg.bot")).to_have_count(count, timeout=TIMEOUT_MS)


def expected_texts(server: Served, messages: list[str]) -> list[str]:
    """What the bot answers to these messages, through REST, as paragraphs."""
    sender = f"oracle-{uuid.uuid4().hex}"
    replies = [normalise(rest_say(server.url, sender, m)) for m in messages]
    return [text for turn in replies for text, _ in turn]


def type_and_send(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")


def test_chat_quick_reply_and_reload(server: Served, page_for) -> None:
    page = page_for(server.url)
    launcher = page.get_by_role("button", name="Open chat")
    launcher.focus()
    page.keyboard.press("Enter")  # keyboard only
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.locator(".launcher")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")

    page.evaluate(WATCH_TYPING)
    type_and_send(page, "help")
    help_texts = expected_texts(server, ["help"])
    wait_for_bot_count(page, len(help_texts))
    assert bot_texts(page) == help_texts
    assert page.evaluate("window.typingShown") is True  # while waiting for the reply
    expect(page.locator(".typing")).to_be_hidden()  # and gone once it came

    # a quick reply: its title is shown as the user's message, its payload is sent
    page.get_by_role("button", name="They cry when I cry").click()
    after_click = expected_texts(server, ["help", "/partner_cries_with_me"])
    wait_for_bot_count(page, len(after_click))
    assert bot_texts(page) == after_click
    assert user_texts(page)[-1] == "They cry when I cry"
    expect(page.locator(".msg.user .sr-only").last).to_have_text("You: ")
    assert "\n1. Emotional connection" in bot_texts(page)[-1]  # line breaks kept
    expect(page.get_by_role("button", name="Empathy")).to_be_visible()
    session_id = page.evaluate("() => JSON.parse(localStorage.getItem('chat-widget')).sessionId")

    page.reload()
    # the history is back, the panel still open, on the same session
    expect(page.locator(".msg.bot")).to_have_count(len(after_click))
    assert bot_texts(page) == after_click
    expect(page.get_by_role("button", name="Empathy")).to_be_visible()
    stored = json.loads(page.evaluate("() => localStorage.getItem('chat-widget')"))
    assert stored["sessionId"] == session_id

    # the server kept the conversation: "what can I do" gets the tips for this topic
    type_and_send(page, "what can I do?")
    full = expected_texts(server, ["help", "/partner_cries_with_me", "what can I do?"])
    wait_for_bot_count(page, len(full))
    assert bot_texts(page) == full
    expect(page.get_by_role("button", name="Empathy")).to_have_count(0)  # old replies gone
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-conversation.png"))

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()


def test_html_is_shown_as_text_and_links_are_safe(server: Served, page_for) -> None:
    page = page_for(server.url)
    page.get_by_role("button", name="Open chat").click()
    type_and_send(page, XSS)
    wait_for_bot_count(page, len(expected_texts(server, [XSS])))
    assert user_texts(page) == [XSS]
    widget = page.locator(".chat-widget-host")
    assert widget.locator("img").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-html-as-text.png"))

    type_and_send(page, "see https://example.org/a?b=1, not javascript:alert(2)")
    links = page.locator(".msg.user").last.locator("a")
    expect(links).to_have_count(1)
    assert links.get_attribute("href") == "https://example.org/a?b=1"
    assert links.get_attribute("rel") == "noopener noreferrer nofollow"
    page.wait_for_timeout(500)  # give an injected handler time to fire
    assert page.dialogs == []


def test_phone_sized_screen_gets_a_full_screen_panel(server: Served, page_for) -> None:
    page = page_for(server.url, viewport={"width": 375, "height": 667}, has_touch=True)
    page.get_by_role("button", name="Open chat").tap()
    box = page.get_by_role("dialog").bounding_box()
    assert box is not None
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 667)
    type_and_send(page, "help")
    wait_for_bot_count(page, len(expected_texts(server, ["help"])))
    page.get_by_role("button", name="Close chat").tap()
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_offline_message_and_reconnection(server: Served, page_for) -> None:
    proxy = TcpProxy(free_port(), ("127.0.0.1", server.port))
    page = page_for(f"http://127.0.0.1:{proxy.port}")  # nothing listens there yet
    page.get_by_role("button", name="Open chat").click()
    status = page.get_by_role("status").filter(has_text="chat server")
    expect(status).to_have_text("Can't reach the chat server. Trying to reconnect…")
    expect(page.get_by_label("Your message")).to_be_disabled()
    try:
        proxy.start()
        expect(status).to_have_count(0)
        type_and_send(page, "help")
        wait_for_bot_count(page, len(expected_texts(server, ["help"])))

        proxy.stop()  # the link drops mid-conversation
        expect(status).to_be_visible()
        expect(page.get_by_label("Your message")).to_be_disabled()
        quick_reply = page.get_by_role("button", name="They cry when I cry")
        expect(quick_reply).to_be_disabled()
        proxy.start()
        expect(status).to_have_count(0)
        expect(quick_reply).to_be_enabled()
        type_and_send(page, "what can I do?")
        expected = expected_texts(server, ["help", "what can I do?"])
        wait_for_bot_count(page, len(expected))
        assert bot_texts(page) == expected
    finally:
        proxy.stop()


@pytest.mark.parametrize(
    "stored",
    [
        "{not json",
        '{"sessionId": 5, "messages": null}',
        '{"sessionId": "s", "messages": [null, 3]}',
    ],
)
def test_a_damaged_stored_chat_does_not_break_the_widget(
    server: Served, page_for, stored: str
) -> None:
    page = page_for(server.url)
    page.evaluate("value => localStorage.setItem('chat-widget', value)", stored)
    page.reload()
    page.get_by_role("button", name="Open chat").click()
    type_and_send(page, "help")
    expected = expected_texts(server, ["help"])
    wait_for_bot_count(page, len(expected))
    assert bot_texts(page) == expected
