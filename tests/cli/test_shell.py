"""`make chat` as a newcomer meets it: a quiet start, buttons as numbered options under
a text prompt, and a server that only this machine can reach."""

from __future__ import annotations

import re

import pexpect
import psutil
import pytest

from bot.cli.shell import button_options, chosen_text
from bot.paths import ROOT
from bot.testing.server import free_port

BUTTONS = [
    {"title": "They cry when I cry", "payload": "/partner_cries_with_me"},
    {"title": "They cried at our breakup", "payload": "/partner_cried_at_breakup"},
]
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def test_buttons_are_numbered_options() -> None:
    assert button_options({"text": "Which?", "buttons": BUTTONS}) == [
        "1. They cry when I cry",
        "2. They cried at our breakup",
    ]
    assert button_options({"text": "no buttons"}) == []


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("1", "/partner_cries_with_me"),
        (" 2 ", "/partner_cried_at_breakup"),
        ("3", "3"),  # no third button: sent as typed
        ("0", "0"),
        ("my wife cries when I cry", "my wife cries when I cry"),
        ("2 of them cry", "2 of them cry"),
    ],
)
def test_a_number_picks_a_button_and_anything_else_is_sent_as_typed(typed, sent) -> None:
    assert chosen_text(typed, BUTTONS) == sent


def test_without_buttons_everything_is_sent_as_typed() -> None:
    assert chosen_text("1", []) == "1"


def _listening_addresses(pid: int) -> set[str]:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    addresses = set()
    for proc in procs:
        for conn in proc.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                addresses.add(conn.laddr.ip)
    return addresses


@pytest.mark.slow
def test_make_chat_is_quiet_takes_typed_text_and_listens_on_loopback(trained_model) -> None:
    port = free_port()
    chat = pexpect.spawn(
        "make",
        ["chat", f"CHAT_ARGS=--port {port}"],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=300,
        dimensions=(40, 200),
    )
    try:
        chat.expect("Your input ->")
        before_prompt = ANSI.sub("", chat.before)
        warnings = [line for line in before_prompt.splitlines() if "warn" in line.lower()]
        assert len(warnings) <= 3, "\n".join(warnings)
        assert _listening_addresses(chat.pid) == {"127.0.0.1"}

        chat.sendline("help")  # a reply with buttons
        chat.expect(r"1\. They cry when I cry")
        chat.expect("Your input ->")
        # typed text after the buttons is sent as typed, and answered about the wife
        chat.sendline("my wife cries when I cry")
        chat.expect("which it is for your wife", timeout=60)
        chat.expect("Your input ->")
        chat.sendline("help")
        chat.expect("Your input ->", timeout=60)
        chat.sendline("2")  # the second button: the breakup
        chat.expect(r"Who ended the relationship|breakup", timeout=60)
        chat.expect("Your input ->")
        chat.sendline("/stop")
        chat.expect(pexpect.EOF, timeout=60)
    finally:
        chat.close(force=True)
