"""Reading and driving the chat widget (web/) in a Playwright page, for tests/web/."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from bot.channels.identity import conversation_key
from bot.paths import ROOT
from bot.testing.rest import say as rest_say
from tests.support.chat_clients import normalise

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
TIMEOUT_MS = 20_000
KEY = "chat-widget"  # the widget's default storageKey


@dataclass(frozen=True)
class Served:
    url: str  # the Rasa server
    port: int
    web_origin: str  # the static server with the demo page
    tracker_db: Path  # the server's SQLite tracker store


# a bubble's text without the "Bot, 21:05: " prefix only screen readers get
BUBBLE_TEXT = """bubbles => bubbles.map(bubble => [...bubble.childNodes]
    .filter(node => !(node.classList && node.classList.contains("sr-only")))
    .map(node => node.textContent).join(""))"""

# every key of both storages of the page's origin
STORAGE = """() => {
    const dump = (area) => Object.fromEntries(Object.keys(area).map((k) => [k, area.getItem(k)]));
    return { local: dump(localStorage), session: dump(sessionStorage) };
}"""


def bot_texts(page: Page) -> list[str]:
    return page.locator(".msg.bot").evaluate_all(BUBBLE_TEXT)


def user_texts(page: Page) -> list[str]:
    return page.locator(".msg.user").evaluate_all(BUBBLE_TEXT)


def words(text: str) -> list[str]:
    """The words a reader sees, whether a list's numbers are text or markers."""
    return [w for w in re.findall(r"[\w']+", text) if not w.isdigit()]


def stored(page: Page) -> dict:
    return page.evaluate(STORAGE)


def stored_messages(page: Page) -> list[dict]:
    raw = page.evaluate(f"() => localStorage.getItem('{KEY}')")
    return json.loads(raw)["messages"] if raw else []


def wait_for_bot_count(page: Page, count: int) -> None:
    expect(page.locator(".msg.bot")).to_have_count(count, timeout=TIMEOUT_MS)


def expected_texts(server: Served, messages: list[str]) -> list[str]:
    """What the bot answers to these messages, through REST, as paragraphs."""
    sender = f"oracle-{uuid.uuid4().hex}"
    replies = [normalise(rest_say(server.url, sender, m)) for m in messages]
    return [text for turn in replies for text, _ in turn]


def assert_shows(page: Page, expected: list[str]) -> None:
    """The bot's bubbles say exactly `expected`, as a reader sees it (Markdown rendered)."""
    wait_for_bot_count(page, len(expected))
    assert [words(t) for t in bot_texts(page)] == [words(t) for t in expected]


def type_and_send(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    expect(box).to_be_enabled()
    expect(page.get_by_role("button", name="Send", exact=True)).not_to_have_attribute(
        "aria-disabled", "true"
    )
    box.fill(text)
    box.press("Enter")


def open_panel(page: Page) -> None:
    launcher = page.get_by_role("button", name=re.compile(r"^Chat"))
    if launcher.get_attribute("aria-expanded") != "true":
        launcher.click()
    expect(page.get_by_role("dialog")).to_be_visible()


def session_id(page: Page) -> str:
    return page.evaluate("() => window.chatWidget.sessionId")


def tracker_events(served: Served, session_id: str) -> int:
    """How many events the server's tracker store holds for the conversation of the
    session id the server confirmed (``<id>.<signature>``, kept as ``socketio:<id>``)."""
    key = conversation_key("socketio", session_id.partition(".")[0])
    with sqlite3.connect(f"file:{served.tracker_db}?mode=ro", uri=True) as db:
        query = "SELECT COUNT(*) FROM events WHERE sender_id = ?"
        return db.execute(query, (key,)).fetchone()[0]


def wait_until(condition, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
