"""What the widget shows of what a bot sends it, against a scriptable socket.io bot
(tests/support/fake_socketio.py) serving the same protocol as the bot's channel:
Markdown rendered safely (with tel: and mailto: links), a reply while the panel is
closed, a long reply, a message over the limit, right-to-left text, a transcript, and a
server that issues the session ids itself."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.fake_socketio import FakeBot
from tests.support.widget import KEY, SCREENSHOTS, open_panel, stored, type_and_send, wait_until

CRISIS = (
    "**If you are in danger now, call 999.**\n"
    "You can also talk to:\n"
    "- Samaritans: [116 123](tel:116123)\n"
    "- email [jo@samaritans.org](mailto:jo@samaritans.org)\n"
    "- or see https://www.samaritans.org/."
)
HOSTILE = (
    "[click me](javascript:alert(1)) [data](data:text/html,<script>alert(2)</script>) "
    '<img src=x onerror=alert(3)> <a href="javascript:alert(4)">raw</a> <b>bold?</b>'
)


def test_markdown_is_rendered_safely(pages, fake_bot: FakeBot) -> None:
    fake_bot.replies = {"crisis": [{"text": CRISIS}], "attack": [{"text": HOSTILE}]}
    page = pages.open(fake_bot.url)
    open_panel(page)
    type_and_send(page, "crisis")
    bubble = page.locator(".msg.bot").last
    expect(bubble.locator("strong")).to_have_text("If you are in danger now, call 999.")
    expect(bubble.locator("ul > li")).to_have_count(3)
    phone = bubble.get_by_role("link", name="116 123")
    expect(phone).to_have_attribute("href", "tel:116123")
    expect(bubble.get_by_role("link", name="jo@samaritans.org")).to_have_attribute(
        "href", "mailto:jo@samaritans.org"
    )
    web = bubble.get_by_role("link", name="https://www.samaritans.org/")
    expect(web).to_have_attribute("target", "_blank")
    expect(web).to_have_attribute("rel", "noopener noreferrer nofollow")

    type_and_send(page, "attack")
    bubble = page.locator(".msg.bot").last
    expect(bubble).to_contain_text("[click me](javascript:alert(1))")  # stays text
    expect(bubble).to_contain_text("<img src=x onerror=alert(3)>")
    expect(bubble).to_contain_text("<b>bold?</b>")
    assert bubble.locator("a, img, b, script").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.evaluate("window.cspViolations") == []


def test_unread_badge_while_the_panel_is_closed(pages, fake_bot: FakeBot) -> None:
    page = pages.open(fake_bot.url)
    open_panel(page)
    type_and_send(page, "hello")
    expect(page.locator(".msg.bot")).to_have_count(1)
    page.keyboard.press("Escape")
    launcher = page.locator(".launcher")
    badge = page.locator(".badge")
    expect(badge).to_be_hidden()
    session = page.evaluate("() => window.chatWidget.sessionId")
    fake_bot.push(session, {"text": "Are you still there?"})
    fake_bot.push(session, {"text": "Take your time."})
    expect(badge).to_have_text("2")
    expect(launcher).to_have_attribute("aria-label", "Chat, 2 new")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-unread-badge.png"))
    launcher.click()
    expect(badge).to_be_hidden()
    expect(launcher).to_have_attribute("aria-label", "Chat")


def test_long_messages_refused_and_long_replies_shown_from_their_start(
    pages, fake_bot: FakeBot
) -> None:
    long_reply = "The start of a long answer. " + "More words follow here. " * 200
    fake_bot.replies = {"long please": [{"text": long_reply}]}
    page = pages.open(fake_bot.url)
    open_panel(page)
    box = page.get_by_label("Your message")
    pasted = "x" * 5000
    box.fill(pasted)
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("5,000 characters long; the limit is 2,000")
    expect(box).to_have_value(pasted)  # kept, not cut
    expect(box).to_have_attribute("aria-invalid", "true")
    page.wait_for_timeout(300)
    assert fake_bot.received == []  # nothing was sent

    box.fill("long please")
    expect(page.get_by_role("alert")).to_have_text("")
    box.press("Enter")
    bubble = page.locator(".msg.bot").last
    expect(bubble).to_contain_text("More words follow")
    log = page.get_by_role("log").bounding_box()
    top = bubble.bounding_box()["y"]
    assert log["y"] <= top <= log["y"] + 20  # its first line is in view


def test_right_to_left_text_and_quick_replies_that_stay(pages, fake_bot: FakeBot) -> None:
    fake_bot.replies = {
        "menu": [
            {
                "text": "Which one?",
                "quick_replies": [
                    {"title": t, "payload": f"/{t.lower()}"} for t in ("One", "Two", "Three")
                ],
            }
        ],
        "/one": [{"text": "About one."}],
        "שלום, מה שלומך?": [{"text": "مرحبا! كيف حالك؟"}],
    }
    page = pages.open(fake_bot.url)
    open_panel(page)
    expect(page.get_by_label("Your message")).to_have_attribute("dir", "auto")
    type_and_send(page, "שלום, מה שלומך?")
    body = page.locator(".msg.user .body").last
    expect(body).to_have_attribute("dir", "auto")
    assert body.evaluate("el => el.matches(':dir(rtl)')")
    assert page.locator(".msg.bot .body").last.evaluate("el => el.matches(':dir(rtl)')")

    type_and_send(page, "menu")
    page.get_by_role("button", name="One").click()
    expect(page.locator(".msg.bot").last).to_have_text(re.compile("About one."))
    # the others stay on offer under the reply that came after
    expect(page.get_by_role("group", name="Suggested replies").get_by_role("button")).to_have_text(
        ["Two", "Three"]
    )
    assert fake_bot.received[-1]["message"] == "/one"
    type_and_send(page, "something else")
    expect(page.get_by_role("button", name="Two")).to_have_count(0)


def test_transcript_download(pages, fake_bot: FakeBot) -> None:
    page = pages.open(fake_bot.url)
    open_panel(page)
    type_and_send(page, "keep this")
    expect(page.locator(".msg.bot")).to_have_count(1)
    # the time of each message: on hover, and for screen readers
    expect(page.locator(".msg.user").last).to_have_attribute("title", re.compile(r"\d:\d\d"))
    expect(page.locator(".msg.user .sr-only").last).to_have_text(re.compile(r"^You, .*\d:\d\d"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Save as text").click()
    assert download.value.suggested_filename == "conversation.txt"
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Conversation, ")
    assert re.match(r"^\[.+\] You: keep this$", lines[2])
    assert re.match(r"^\[.+\] Bot: You said: keep this$", lines[3])


def test_strings_and_options_from_data_attributes(pages, fake_bot: FakeBot, server) -> None:
    page = pages.context().new_page()
    page.goto(f"{server.web_origin}/demo/embed.html")  # no script of the page's own
    launcher = page.get_by_role("button", name="Chat", exact=True)
    launcher.click()
    expect(page.get_by_role("dialog", name="Talk to us")).to_be_visible()
    expect(page.get_by_role("button", name="Go", exact=True)).to_be_visible()  # a string
    assert stored(page)["session"].get(f"{KEY}:open") == "1"  # storage: session
    assert page.evaluate("window.cspViolations") == []


def test_the_session_id_the_server_issues_is_kept(pages, server) -> None:
    bot = FakeBot(server.web_origin, issue_ids=True).start()
    try:
        context = pages.context()
        page = pages.open(bot.url, context=context)
        open_panel(page)
        type_and_send(page, "hello")
        expect(page.locator(".msg.bot")).to_have_count(1)
        assert bot.requested[0] is None  # a new conversation asks for an id
        issued = bot.confirmed[0]
        assert page.evaluate("() => window.chatWidget.sessionId") == issued
        assert bot.received[-1]["session_id"] == issued

        page.reload()  # reused after a reload
        wait_until(lambda: len(bot.requested) >= 2, what="a second session_request")
        assert bot.requested[-1] == issued
        type_and_send(page, "again")
        expect(page.locator(".msg.bot")).to_have_count(2)
        assert bot.received[-1]["session_id"] == issued

        # an id the server never issued (planted or from an older version) is replaced
        page.evaluate(
            """key => { const r = JSON.parse(localStorage.getItem(key));
                r.sessionId = "planted"; localStorage.setItem(key, JSON.stringify(r)); }""",
            KEY,
        )
        page.reload()
        wait_until(lambda: "planted" in bot.requested, what="the planted id asked for")
        wait_until(lambda: bot.confirmed[-1] not in (issued, "planted"), what="a fresh id")
        fresh = bot.confirmed[-1]
        wait_until(lambda: page.evaluate("() => window.chatWidget.sessionId") == fresh)
        type_and_send(page, "third")
        expect(page.locator(".msg.bot")).to_have_count(3)
        assert bot.received[-1]["session_id"] == fresh
        assert '"planted"' not in stored(page)["local"][KEY]
    finally:
        bot.stop()
