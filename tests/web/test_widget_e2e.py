"""The chat widget in a real headless Chromium against what `make serve` starts
(scripts/serve.sh): `rasa run` and the demo page under `default-src 'self'`, on loopback.

What the bot should answer comes from a REST conversation with the same server fed
the same messages: the widget must show exactly that.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from bot.testing.server import free_port
from tests.support.tcp_proxy import TcpProxy
from tests.support.widget import (
    KEY,
    SCREENSHOTS,
    Served,
    assert_shows,
    bot_texts,
    expected_texts,
    open_panel,
    type_and_send,
    user_texts,
    wait_for_bot_count,
)

XSS = "<img src=x onerror=alert(1)>"


def test_chat_quick_reply_and_reload_under_a_strict_csp(server: Served, page_for) -> None:
    page = page_for(server.url)
    response = page.request.get(page.url)
    assert response.headers["content-security-policy"].startswith("default-src 'self';")
    launcher = page.get_by_role("button", name="Chat", exact=True)
    launcher.focus()
    page.keyboard.press("Enter")  # keyboard only
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    # the widget's styles are applied although the CSP refuses inline <style>
    header = page.locator(".header")
    expect(header).to_have_css("background-color", "rgb(91, 60, 196)")
    expect(page.locator(".launcher")).to_have_css("border-radius", "50%")

    type_and_send(page, "help")
    help_texts = expected_texts(server, ["help"])
    assert_shows(page, help_texts)

    # a quick reply: its title is shown as the user's message, its payload is sent
    page.get_by_role("button", name="They cry when I cry").click()
    after_click = expected_texts(server, ["help", "/partner_cries_with_me"])
    assert_shows(page, after_click)
    assert user_texts(page)[-1] == "They cry when I cry"
    expect(page.locator(".msg.user .sr-only").last).to_have_text(re.compile(r"^You, .+:\s*$"))
    # the five reasons are a list
    expect(page.locator(".msg.bot ol").last.locator("li")).to_have_count(5)
    expect(page.get_by_role("button", name="Empathy")).to_be_visible()
    session_id = page.evaluate(f"() => JSON.parse(localStorage.getItem('{KEY}')).sessionId")
    stored = json.loads(page.evaluate(f"() => localStorage.getItem('{KEY}')"))
    # the history holds exactly what the bot said
    assert [m["text"] for m in stored["messages"] if m["from"] == "bot"] == after_click

    page.reload()
    # the history is back, the panel still open (in this tab), on the same session
    assert_shows(page, after_click)
    expect(page.get_by_role("button", name="Empathy")).to_be_visible()
    stored = json.loads(page.evaluate(f"() => localStorage.getItem('{KEY}')"))
    assert stored["sessionId"] == session_id

    # a chosen reason: the other reasons stay on offer
    page.get_by_role("button", name="Empathy").click()
    detail = expected_texts(server, ["help", "/partner_cries_with_me", "Empathy"])
    assert_shows(page, detail)
    expect(page.get_by_role("button", name="Love")).to_be_visible()
    expect(page.get_by_role("button", name="What can I do?")).to_be_visible()
    expect(page.get_by_role("button", name="Empathy")).to_have_count(0)

    # the server kept the conversation: "what can I do" gets the tips for this topic
    type_and_send(page, "what can I do?")
    full = expected_texts(server, ["help", "/partner_cries_with_me", "Empathy", "what can I do?"])
    assert_shows(page, full)
    expect(page.get_by_role("button", name="Love")).to_have_count(0)  # answered: gone
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-conversation.png"))

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat", exact=True)).to_be_focused()
    assert page.evaluate("window.cspViolations") == []


def test_html_is_shown_as_text_and_links_are_safe(server: Served, page_for) -> None:
    page = page_for(server.url)
    open_panel(page)
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


def test_offline_message_and_reconnection(server: Served, page_for) -> None:
    proxy = TcpProxy(free_port(), ("127.0.0.1", server.port))
    page = page_for(f"http://127.0.0.1:{proxy.port}")  # nothing listens there yet
    open_panel(page)
    status = page.get_by_role("status").filter(has_text="chat server")
    expect(status).to_have_text("Can't reach the chat server. Trying to reconnect…")
    send = page.get_by_role("button", name="Send", exact=True)
    expect(send).to_be_disabled()
    try:
        proxy.start()
        expect(status).to_have_count(0)
        type_and_send(page, "help")
        wait_for_bot_count(page, len(expected_texts(server, ["help"])))

        box = page.get_by_label("Your message")
        box.focus()
        proxy.stop()  # the link drops mid-conversation
        expect(status).to_be_visible()
        expect(send).to_be_disabled()
        quick_reply = page.get_by_role("button", name="They cry when I cry")
        expect(quick_reply).to_be_disabled()
        box.fill("what can I do?")  # what is typed meanwhile is kept
        box.press("Enter")
        expect(box).to_have_value("what can I do?")
        proxy.start()
        expect(status).to_have_count(0)
        expect(quick_reply).to_be_enabled()
        expect(box).to_be_focused()  # focus is where it was
        box.press("Enter")
        expected = expected_texts(server, ["help", "what can I do?"])
        assert_shows(page, expected)
        assert bot_texts(page)
    finally:
        proxy.stop()


@pytest.mark.parametrize(
    "stored",
    [
        "{not json",
        '{"sessionId": 5, "messages": null}',
        '{"sessionId": "s", "messages": [null, 3]}',
        '{"v": 2, "sessionId": "s", "messages": [{"from": "bot"}], "updatedAt": "x"}',
    ],
)
def test_a_damaged_stored_chat_does_not_break_the_widget(
    server: Served, page_for, stored: str
) -> None:
    page = page_for(server.url)
    page.evaluate(f"value => localStorage.setItem('{KEY}', value)", stored)
    page.reload()
    open_panel(page)
    type_and_send(page, "help")
    assert_shows(page, expected_texts(server, ["help"]))
