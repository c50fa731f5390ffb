"""What people tell the widget goes when they say so, in every tab, on the server too;
they can leave the page in one move; the stored history has a place and an end.

Two pages of one browser context are two tabs of one browser (shared localStorage).
The server's tracker store is the SQLite file of the test server (tests/web/conftest.py).
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support.chat_clients import SocketChat
from tests.support.widget import (
    KEY,
    Served,
    assert_shows,
    bot_texts,
    expected_texts,
    open_panel,
    session_id,
    stored,
    stored_messages,
    tracker_events,
    type_and_send,
    user_texts,
    wait_until,
)


def conversation_left(page: Page, texts: list[str]) -> list[str]:
    """Every place in both storages that still holds any of `texts`."""
    dump = stored(page)
    return [
        f"{area}:{key}"
        for area, items in dump.items()
        for key, value in items.items()
        if any(text in value for text in texts)
    ]


def say_help(page: Page, server: Served) -> str:
    """Open the panel, say "help", see the reply; the conversation's session id."""
    open_panel(page)
    type_and_send(page, "help")
    assert_shows(page, expected_texts(server, ["help"]))
    return session_id(page)


def new_session(page: Page, old_session: str) -> None:
    wait_until(lambda: session_id(page) not in (None, old_session), what="a new session")


def delete_conversation(page: Page) -> None:
    page.get_by_role("button", name="Delete chat").click()
    expect(page.get_by_role("group", name=re.compile("Delete this conversation"))).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_focused()  # the harmless choice
    page.get_by_role("button", name="Delete", exact=True).click()


def test_delete_erases_the_server_the_device_and_every_tab(server: Served, pages) -> None:
    context = pages.context()
    tab_a = pages.open(server.url, context=context)
    old_session = say_help(tab_a, server)
    tab_b = pages.open(server.url, context=context)
    open_panel(tab_b)
    assert_shows(tab_b, expected_texts(server, ["help"]))  # the same conversation
    assert tracker_events(server, old_session) > 0

    type_and_send(tab_a, "My boyfriend cries whenever I cry")  # a reply still on its way
    delete_conversation(tab_a)
    for tab in (tab_a, tab_b):
        expect(tab.locator(".msg")).to_have_count(0)
    expect(
        tab_a.get_by_role("status").filter(has_text="deleted from this device and from the server")
    ).to_be_visible()
    wait_until(lambda: tracker_events(server, old_session) == 0, what="the tracker erased")

    # a new conversation, with nothing of the old one: not on screen, not in storage
    new_session(tab_a, old_session)
    tab_b.get_by_role("button", name="Close chat").click()  # the old code wrote back here
    tab_a.wait_for_timeout(1500)  # time for a late reply of the old session to show up
    old_texts = ["help", "My boyfriend cries", "I can talk with you", old_session]
    for tab in (tab_a, tab_b):
        assert bot_texts(tab) == []
        assert conversation_left(tab, old_texts) == []
    type_and_send(tab_a, "help")
    for tab in (tab_a, tab_b):
        assert_shows(tab, expected_texts(server, ["help"]))
    assert session_id(tab_b) == session_id(tab_a) != old_session
    # a tab opened now shows only the new conversation
    tab_c = pages.open(server.url, context=context)
    open_panel(tab_c)
    assert_shows(tab_c, expected_texts(server, ["help"]))
    assert user_texts(tab_c) == ["help"]


def test_typing_forget_erases_the_device_as_well(server: Served, page_for) -> None:
    page = page_for(server.url)
    old_session = say_help(page, server)
    type_and_send(page, "/forget")
    expect(page.locator(".msg")).to_have_count(0)
    wait_until(lambda: tracker_events(server, old_session) == 0, what="the tracker erased")
    new_session(page, old_session)
    assert conversation_left(page, ["help", old_session]) == []


def test_restart_leaves_the_old_session(server: Served, page_for) -> None:
    page = page_for(server.url)
    old_session = say_help(page, server)
    page.get_by_role("button", name="New chat").click()
    new_session(page, old_session)

    # the old session goes on elsewhere: none of its replies may reach this page
    def old_session_goes_on() -> list:
        other = SocketChat(server.url, origin=server.web_origin).connect()
        try:
            assert other.start_session(old_session) == old_session
            return other.say("help")
        finally:
            other.close()

    # in a thread of its own: Playwright's loop runs in this one
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(old_session_goes_on).result(60)
    page.wait_for_timeout(1000)
    assert bot_texts(page) == []
    assert conversation_left(page, [old_session, "I can talk with you"]) == []


@pytest.mark.parametrize("how", ["button", "escape three times"])
def test_quick_exit_clears_the_device_and_leaves_for_good(server: Served, pages, how) -> None:
    context = pages.context()
    other_tab = pages.open(server.url, context=context)
    page = context.new_page()
    page.goto(f"{server.web_origin}/demo/neutral.html?before")  # where the person came from
    page.goto(pages.url(server.url))
    open_panel(page)
    type_and_send(page, "help")
    assert_shows(page, expected_texts(server, ["help"]))
    if how == "button":
        page.get_by_role("button", name="Quick exit").click()
    else:
        for _ in range(3):
            page.keyboard.press("Escape")
    for tab in (page, other_tab):
        tab.wait_for_url(re.compile(r"/demo/neutral\.html$"))
        expect(tab.get_by_role("heading", name="Weather")).to_be_visible()
        assert stored(tab) == {"local": {}, "session": {}}
    page.go_back()
    assert page.url.endswith("/demo/neutral.html?before")  # not the chat
    page.go_forward()
    assert page.url.endswith("/demo/neutral.html")


@pytest.mark.parametrize("mode", ["local", "session", "memory"])
def test_where_the_history_is_kept(server: Served, pages, mode: str) -> None:
    context = pages.context()
    page = pages.open(server.url, context=context, storage=mode)
    open_panel(page)
    type_and_send(page, "help")
    expected = expected_texts(server, ["help"])
    assert_shows(page, expected)
    dump = stored(page)
    if mode == "local":
        assert json.loads(dump["local"][KEY])["messages"]
        assert KEY not in dump["session"]
    elif mode == "session":
        assert json.loads(dump["session"][KEY])["messages"]
        assert dump["local"] == {}
    else:
        assert dump == {"local": {}, "session": {}}  # nothing at all, not even the open panel

    page.reload()
    if mode == "memory":
        open_panel(page)
        expect(page.locator(".msg")).to_have_count(0)
    else:
        assert_shows(page, expected)
    new_tab = pages.open(server.url, context=context, storage=mode)
    open_panel(new_tab)
    if mode == "local":
        assert_shows(new_tab, expected)
    else:
        expect(new_tab.locator(".msg")).to_have_count(0)  # this tab only


def test_stored_history_expires(server: Served, pages) -> None:
    context = pages.context()
    page = context.new_page()
    page.clock.install()  # Date and timers under the test's control
    page.goto(pages.url(server.url, expiryHours="24"))
    open_panel(page)
    type_and_send(page, "help")
    expected = expected_texts(server, ["help"])
    assert_shows(page, expected)
    page.clock.fast_forward("23:00:00")
    assert_shows(page, expected)  # within the day: kept
    page.reload()
    assert_shows(page, expected)
    page.close()

    # the next visit, 25 hours after the last message
    later = context.new_page()
    later.clock.install(time=datetime.now() + timedelta(hours=25))
    later.goto(pages.url(server.url, expiryHours="24"))
    open_panel(later)
    expect(later.locator(".msg")).to_have_count(0)
    expect(later.get_by_role("status").filter(has_text="cleared from this device")).to_be_visible()
    assert conversation_left(later, ["help", "I can talk with you"]) == []

    # and while the page stays open
    type_and_send(later, "help")
    assert_shows(later, expected)
    later.clock.fast_forward("24:01:00")
    expect(later.locator(".msg")).to_have_count(0)
    assert stored_messages(later) == []


def test_two_tabs_show_one_conversation(server: Served, pages) -> None:
    context = pages.context()
    tab_a = pages.open(server.url, context=context)
    tab_b = pages.open(server.url, context=context)
    open_panel(tab_a)
    open_panel(tab_b)
    type_and_send(tab_a, "help")
    expected = expected_texts(server, ["help"])
    for tab in (tab_a, tab_b):
        assert_shows(tab, expected)
        assert user_texts(tab) == ["help"]  # tab B sees the question too
    tab_b.get_by_role("button", name="They cry when I cry").click()
    expected = expected_texts(server, ["help", "/partner_cries_with_me"])
    type_and_send(tab_a, "what can I do?")
    expected = expected_texts(server, ["help", "/partner_cries_with_me", "what can I do?"])
    for tab in (tab_a, tab_b):
        assert_shows(tab, expected)
        assert user_texts(tab) == ["help", "They cry when I cry", "what can I do?"]
    # one list in storage, each message once, in order
    texts = [m["text"] for m in stored_messages(tab_a)]
    assert texts == [
        "help",
        *expected[:1],
        "They cry when I cry",
        *expected[1:-1],
        "what can I do?",
        expected[-1],
    ]
    assert stored_messages(tab_b) == stored_messages(tab_a)
