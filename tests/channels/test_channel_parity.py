"""One bot, every channel: the same scripted conversation gives the same replies through
REST, socket.io (python-socketio client), Telegram (fake Bot API) and the Rasa shell
(pexpect, `rasa shell`).

REST is the reference. The script avoids the responses with random variants
(utter_greet, utter_goodbye, utter_thank, utter_breakup_reasons), so replies can be
compared text for text. A "click" sends the payload of a button of the bot's previous
reply, found in that channel's own reply (so the buttons must match too); in the shell
it picks the button in Rasa's menu.

Telegram runs in webhook mode against the fake Bot API (tests/support/fake_telegram.py),
configured like production through the TELEGRAM_* environment variables that
credentials.yml's Telegram channel reads. Another channel: write a
``<name>_conversation(stack, cleanup) -> Send`` and register it in ``CHANNELS``.
"""

from __future__ import annotations

import itertools
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

from bot.paths import ROOT
from bot.testing.rest import say as rest_say
from bot.testing.server import RasaServer, free_port, rasa_server
from tests.support.chat_clients import Reply, SocketChat, normalise
from tests.support.fake_telegram import (
    BOT_USERNAME,
    TOKEN,
    FakeTelegram,
    callback_update,
    fake_telegram,
    text_update,
)


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
# one conversation in one channel: a message in (text, or a button's payload when
# ``click``), the turn's replies out
Send = Callable[[str, bool], Turn]


@dataclass(frozen=True)
class Stack:
    server: RasaServer
    telegram: FakeTelegram


def run_script(send: Send) -> list[Turn]:
    turns: list[Turn] = []
    for step in SCRIPT:
        if isinstance(step, Say):
            turns.append(send(step.text, False))
            continue
        buttons = dict(turns[-1][-1][1]) if turns and turns[-1] else {}
        assert step.title in buttons, f"no button {step.title!r} in {turns[-1]}"
        turns.append(send(buttons[step.title], True))
    return turns


def rest_conversation(stack: Stack, cleanup: ExitStack) -> Send:
    sender = f"parity-rest-{uuid.uuid4().hex}"
    return lambda message, click: normalise(rest_say(stack.server.url, sender, message))


def socketio_conversation(stack: Stack, cleanup: ExitStack) -> Send:
    chat = SocketChat(stack.server.url).connect()
    cleanup.callback(chat.close)
    chat.start_session()
    return lambda message, click: normalise(chat.say(message))


TELEGRAM_CHATS = itertools.count(70_001)


def telegram_conversation(stack: Stack, cleanup: ExitStack) -> Send:
    """Updates delivered to the webhook; the replies are the fake's sendMessage calls."""
    fake, chat = stack.telegram, next(TELEGRAM_CHATS)

    def as_message(call) -> dict:
        keyboard = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
        buttons = [
            {"title": k["text"], "payload": k["callback_data"]} for row in keyboard for k in row
        ]
        return {"text": call.params["text"], "buttons": buttons}

    def send(message: str, click: bool) -> Turn:
        before = len(fake.sent_to(chat))
        update = callback_update(chat, message) if click else text_update(chat, message)
        assert fake.deliver(update) == 200
        return normalise([as_message(call) for call in fake.replies(chat, before)])

    return send


# The channels compared with REST.
CHANNELS: dict[str, Callable[[Stack, ExitStack], Send]] = {
    "socketio": socketio_conversation,
    "telegram": telegram_conversation,
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
def stack(trained_model: Path, tmp_path_factory, shell_process) -> Iterator[Stack]:
    """`rasa run` with the project's credentials.yml, Telegram pointed at the fake."""
    port = free_port()
    with fake_telegram() as telegram:
        env = {
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_BOT_NAME": BOT_USERNAME,
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/webhooks/telegram/webhook",
            "TELEGRAM_SECRET_TOKEN": "parity-secret",
            "TELEGRAM_API_URL": telegram.url,
        }
        tmp = tmp_path_factory.mktemp("parity")
        with rasa_server(trained_model, tmp, port=port, env=env) as server:
            yield Stack(server, telegram)
        # what the bot said to "Telegram", for reading after the run
        (tmp / "telegram-calls.txt").write_text("\n".join(map(repr, telegram.calls)) + "\n")


@pytest.fixture(scope="module")
def reference(stack: Stack) -> list[Turn]:
    with ExitStack() as cleanup:
        turns = run_script(rest_conversation(stack, cleanup))
    assert len(turns) == len(SCRIPT) and all(turns), "REST gave an empty turn"
    return turns


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_channel_replies_like_rest(channel: str, stack: Stack, reference: list[Turn]) -> None:
    with ExitStack() as cleanup:
        turns = run_script(CHANNELS[channel](stack, cleanup))
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
