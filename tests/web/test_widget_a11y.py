"""The widget with a keyboard and a screen reader in mind, and on small screens: axe-core
(from npm, locked in web/package-lock.json) finds nothing serious on the open panel, a
whole conversation works from the keyboard, the focus ring stands out, every target is
at least 44 px, and a phone gets the whole screen whichever way it is held."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from bot.paths import ROOT
from tests.support.widget import (
    SCREENSHOTS,
    Served,
    assert_shows,
    expected_texts,
    open_panel,
    type_and_send,
)

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"

# the colour a focus ring is drawn on: the nearest opaque background around the element
RING = """el => {
    const style = getComputedStyle(el);
    let node = el.parentElement || el.getRootNode().host;
    let ground = "rgb(255, 255, 255)";
    while (node) {
        const bg = getComputedStyle(node).backgroundColor;
        if (bg && bg !== "transparent" && !bg.startsWith("rgba(0, 0, 0, 0)")) {
            ground = bg;
            break;
        }
        node = node.parentElement || (node.getRootNode() && node.getRootNode().host);
    }
    return { ring: style.outlineColor, style: style.outlineStyle,
             width: parseFloat(style.outlineWidth), ground };
}"""


def luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def axe_violations(page: Page) -> list[dict]:
    page.evaluate(AXE.read_text())  # evaluated by the driver: the page's CSP stays on
    return page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" ")) }))"""
    )


def conversation(page: Page, server: Served) -> None:
    open_panel(page)
    type_and_send(page, "help")
    page.get_by_role("button", name="They cry when I cry").click()
    assert_shows(page, expected_texts(server, ["help", "/partner_cries_with_me"]))


def test_axe_finds_nothing_serious_on_the_open_panel(server: Served, page_for) -> None:
    page = page_for(server.url)
    closed = axe_violations(page)
    conversation(page, server)
    opened = axe_violations(page)
    serious = [v for v in closed + opened if v["impact"] in ("serious", "critical")]
    print("axe, closed panel:", closed, "\naxe, open panel:", opened)
    assert serious == []


def test_a_whole_conversation_by_keyboard(server: Served, page_for) -> None:
    page = page_for(server.url)
    for _ in range(10):  # from the top of the page to the launcher
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "chat-widget-host":
            break
    launcher = page.get_by_role("button", name="Chat", exact=True)
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_label("Your message")
    expect(box).to_be_focused()
    page.keyboard.type("help")
    page.keyboard.press("Enter")
    reply = page.get_by_role("button", name="They cry when I cry")
    expect(reply).to_be_visible()
    # back from the message box to the quick replies
    focused = "() => document.activeElement.shadowRoot.activeElement.textContent"
    for _ in range(8):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(focused) == "They cry when I cry":
            break
    expect(page.get_by_role("button", name="They cry when I cry")).to_be_focused()
    page.keyboard.press("Enter")
    expect(box).to_be_focused()  # not the page body: the chosen button is gone
    assert_shows(page, expected_texts(server, ["help", "/partner_cries_with_me"]))
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()

    # Escape also closes the panel when focus has fallen to the page
    page.keyboard.press("Enter")
    page.evaluate("document.activeElement.blur()")
    page.wait_for_timeout(2100)  # not three quick presses: that is the quick exit
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_focus_ring_names_targets_and_announcements(server: Served, page_for) -> None:
    page = page_for(server.url)
    conversation(page, server)
    panel = page.get_by_role("dialog")
    controls = panel.locator("button:visible, textarea")
    page.keyboard.press("Tab")  # keyboard use: :focus-visible rings from here on
    for index in range(controls.count()):
        control = controls.nth(index)
        control.focus()
        ring = control.evaluate(RING)
        name = control.evaluate("el => el.textContent || el.getAttribute('aria-label')")
        assert ring["style"] != "none" and ring["width"] >= 2, name
        assert contrast(ring["ring"], ring["ground"]) >= 3, (name, ring)
        box = control.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (name, box)

    # one name each for the launcher and the close button; visible text in every name
    assert page.get_by_role("button", name="Close chat").count() == 1
    assert page.get_by_role("button", name="Chat", exact=True).count() == 1

    # the typing indicator is announced politely while the bot answers
    page.evaluate(
        """() => {
        const root = document.querySelector(".chat-widget-host").shadowRoot;
        window.announced = [];
        new MutationObserver(() => {
            for (const s of root.querySelectorAll("[role=status]")) {
                if (s.textContent) window.announced.push(s.textContent);
            }
        }).observe(root, { subtree: true, childList: true, characterData: true });
    }"""
    )
    type_and_send(page, "what can I do?")
    assert_shows(page, expected_texts(server, ["help", "/partner_cries_with_me", "what can I do?"]))
    assert "The bot is typing…" in page.evaluate("window.announced")


@pytest.mark.parametrize(
    "name, viewport",
    [("phone", {"width": 375, "height": 667}), ("landscape", {"width": 667, "height": 375})],
)
def test_small_screens_get_a_full_screen_panel(server: Served, page_for, name, viewport) -> None:
    page = page_for(server.url, viewport=viewport, has_touch=True, is_mobile=True)
    page.get_by_role("button", name="Chat", exact=True).tap()
    box = page.get_by_role("dialog").bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (
        0,
        0,
        viewport["width"],
        viewport["height"],
    )
    type_and_send(page, "help")
    assert_shows(page, expected_texts(server, ["help"]))
    # every control of the panel is on screen
    for control in page.get_by_role("dialog").locator("button:visible, textarea").all():
        b = control.bounding_box()
        assert b["x"] >= 0 and b["y"] >= 0, control
        assert b["x"] + b["width"] <= viewport["width"] + 0.5, control
        assert b["y"] + b["height"] <= viewport["height"] + 0.5, control
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-{name}.png"))
    page.get_by_role("button", name="Close chat").tap()
    expect(page.get_by_role("dialog")).to_be_hidden()


# a visual viewport the test can shrink, as an on-screen keyboard does
FAKE_VISUAL_VIEWPORT = """(() => {
    const viewport = new EventTarget();
    let height = null; // the layout viewport's until the test sets it
    Object.defineProperty(viewport, "height", {
        get: () => height ?? window.innerHeight, set: (value) => { height = value; } });
    viewport.offsetTop = 0;
    Object.defineProperty(window, "visualViewport", { value: viewport });
})();"""


def test_the_on_screen_keyboard_does_not_hide_the_message_box(server: Served, pages) -> None:
    context = pages.context(viewport={"width": 375, "height": 667}, has_touch=True, is_mobile=True)
    context.add_init_script(FAKE_VISUAL_VIEWPORT)
    page = pages.open(server.url, context=context)
    page.get_by_role("button", name="Chat", exact=True).tap()
    page.get_by_label("Your message").tap()
    page.evaluate(
        """() => { visualViewport.height = 360;
                   visualViewport.dispatchEvent(new Event("resize")); }"""
    )
    expect(page.get_by_role("dialog")).to_have_css("height", "360px")
    box = page.get_by_label("Your message").bounding_box()
    assert box["y"] + box["height"] <= 360
