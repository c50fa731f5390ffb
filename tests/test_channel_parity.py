"""One bot, every channel: the same scripted conversation gives the same replies through
REST, socket.io (python-socketio client) and the Rasa shell (pexpect, `rasa shell`).

REST is the reference. The script avoids the responses with random variants
(utter_greet, utter_goodbye, utter_thank, utter_breakup_reasons), so replies can be
compared text for text. A "click" sends the payload of a button of the bot's previous
reply, found in that channel's own reply (so the buttons must match too); in the shell
it picks the button in Rasa's menu.

Adding a channel (Telegram, through its fake Bot API): write a
``telegram_conversation(server, cleanup) -> Send`` like ``socketio_conversation`` and
register it in ``CHANNELS``.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from tests.support.chat_clients import Reply, SocketChat, normalise, rest_say
from tests.support.server import ROOT, RasaServer, free_port, rasa_server


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Click:
    title: str  # a button of the bot's previous reply


SCRIPT: tuple[Say | Click, ...] = (
    Say("My boyfriend cries whenever I cry"),
    Click("Empathy"),
    Say("What can I do?"),
    Say("are you a bot?"),
    Say("help"),
    Click("Are the tears manipulation?"),
    Say("what should I do?"),
)

Turn = list[Reply]
# one conversation in one channel: a message (text or payload) in, the turn's replies out
Send = Callable[[str], Turn]


def run_script(send: Send) -> list[Turn]:
    turns: list[Turn] = []
    for step in SCRIPT:
        if isinstance(step, Say):
            turns.append(send(step.text))
            continue
        buttons = dict(turns[-1][-1][1]) if turns and turns[-1] else {}
        assert step.title in buttons, f"no button {step.title!r} in {turns[-1]}"
        turns.append(send(buttons[step.title]))
    return turns


def rest_conversation(server: RasaServer, cleanup: ExitStack) -> Send:
    sender = f"parity-rest-{uuid.uuid4().hex}"
    return lambda message: normalise(rest_say(server.url, sender, message))


def socketio_conversation(server: RasaServer, cleanup: ExitStack) -> Send:
    chat = SocketChat(server.url).connect()
    cleanup.callback(chat.close)
    chat.start_session()
    return lambda message: normalise(chat.say(message))


# The channels compared with REST. Telegram: add "telegram": telegram_conversation.
CHANNELS: dict[str, Callable[[RasaServer, ExitStack], Send]] = {
    "socketio": socketio_conversation,
}


# --- the Rasa shell, driven through a pseudo-terminal ---

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|[\x08\r]")
PROMPT = "Your input ->"
# bot output is printed in blue (ANSI 94), then a new prompt; or the last message has
# buttons and Rasa shows a menu, whose last entry is free text input
AFTER_PLAIN_REPLY = re.compile(r"\x1b\[94m.*?" + re.escape(PROMPT), re.DOTALL)
AFTER_MENU = re.compile(r"Type out your own message\.\.\.")
DOWN, ENTER = "\x1b[B", "\r"


def flatten(text: str) -> str:
    return " ".join(ANSI.sub("", text).split())


class Shell:
    """`rasa shell` in a pty: say things, pick buttons, read what each turn printed."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.menu: list[str] = []  # button titles of the menu on screen, if any

    def wait_ready(self, timeout: float) -> None:
        self.child.expect_exact(PROMPT, timeout=timeout)

    def say(self, text: str) -> tuple[str, bool]:
        if self.menu:  # leave the menu through its free-text entry, the last one
            self.child.send(DOWN * len(self.menu) + ENTER)
            self.child.expect_exact(PROMPT)
        self.child.sendline(text)
        return self.read_turn()

    def click(self, title: str) -> tuple[str, bool]:
        self.child.send(DOWN * self.menu.index(title) + ENTER)
        return self.read_turn()

    def read_turn(self) -> tuple[str, bool]:
        """What the turn printed, and whether it ended in a button menu."""
        index = self.child.expect([AFTER_PLAIN_REPLY, AFTER_MENU])
        return flatten(self.child.before + self.child.after), index == 1


@pytest.fixture(scope="module")
def shell_process(trained_model: Path, tmp_path_factory) -> Iterator[pexpect.spawn]:
    """Spawned first, so it loads the model while the server starts."""
    log = (tmp_path_factory.mktemp("shell") / "shell.log").open("w")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "rasa", "shell", "--model", str(trained_model), "-i", "127.0.0.1",
         "-p", str(free_port()), "--endpoints", str(ROOT / "endpoints.yml")],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=60,
        dimensions=(200, 2000),  # no line wrapping in the menus
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )  # fmt: skip
    child.logfile_read = log
    yield child
    child.terminate(force=True)
    log.close()


@pytest.fixture(scope="module")
def server(trained_model: Path, tmp_path_factory, shell_process) -> Iterator[RasaServer]:
    with rasa_server(trained_model, tmp_path_factory.mktemp("parity")) as running:
        yield running


@pytest.fixture(scope="module")
def reference(server: RasaServer) -> list[Turn]:
    with ExitStack() as cleanup:
        turns = run_script(rest_conversation(server, cleanup))
    assert len(turns) == len(SCRIPT) and all(turns), "REST gave an empty turn"
    return turns


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_channel_replies_like_rest(channel: str, server: RasaServer, reference: list[Turn]) -> None:
    with ExitStack() as cleanup:
        turns = run_script(CHANNELS[channel](server, cleanup))
    for step, expected, got in zip(SCRIPT, reference, turns, strict=True):
        assert got == expected, f"{channel} differs from REST after {step}"


def test_rasa_shell_replies_like_rest(shell_process: pexpect.spawn, reference) -> None:
    shell = Shell(shell_process)
    shell.wait_ready(timeout=240)
    for step, expected in zip(SCRIPT, reference, strict=True):
        printed, in_menu = (
            shell.say(step.text) if isinstance(step, Say) else shell.click(step.title)
        )
        # every paragraph and button of the reference, in order, in what the shell printed
        position = 0
        for text, buttons in expected:
            for part in [flatten(text), *(f": {title} (" for title, _ in buttons)]:
                found = printed.find(part, position)
                assert found >= 0, f"shell after {step}: {part!r} missing in {printed!r}"
                position = found + len(part)
        shell.menu = [title for title, _ in expected[-1][1]]
        assert in_menu == bool(shell.menu), f"shell after {step}: menu shown is {in_menu}"
