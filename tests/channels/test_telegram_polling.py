"""Telegram long-polling mode end to end: `python -m bot.channels.telegram_polling`
against the fake Bot API, configured like a newcomer would (the repository's
credentials.yml plus TELEGRAM_* environment variables), stopped in the middle of a
batch and restarted.

The fake keeps every update until a getUpdates with a higher offset confirms it, as
Telegram does, so a poller that forgot its offset would see the first update again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.paths import ROOT
from bot.testing.server import fresh_endpoints
from tests.support.fake_telegram import (
    TOKEN,
    FakeTelegram,
    callback_update,
    fake_telegram,
    text_update,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as fake:
        yield fake


def start_poller(model: Path, fake: FakeTelegram, offset_file: Path, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_URL=fake.url, TF_CPP_MIN_LOG_LEVEL="2")
    args = [sys.executable, "-m", "bot.channels.telegram_polling", "--model", str(model)]
    args += ["--offset-file", str(offset_file), "--poll-timeout", "2"]
    # its own tracker store, which also remembers the updates handled: the project's
    # var/tracker.db would remember this fake's update ids from an earlier run
    args += ["--endpoints", str(offset_file.parent / "endpoints.yml")]
    with open(log, "ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_while_running(fake: FakeTelegram, proc: subprocess.Popen, condition, log: Path) -> None:
    def met() -> bool:
        if proc.poll() is not None and not condition():
            raise AssertionError(
                f"poller exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            )
        return bool(condition())

    fake.wait_for(met, timeout=240)


def stop(proc: subprocess.Popen, timeout: float = 30) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout)


def test_polling_answers_and_a_restart_repeats_no_update(trained_model, fake, tmp_path):
    offset_file, log = tmp_path / "offset.json", tmp_path / "poller.log"
    fresh_endpoints(tmp_path)  # one store for both pollers
    fake.webhook = {"url": "https://example.invalid/hook", "secret_token": "x"}  # left over
    first = fake.push_update(text_update(2001, "/help"))
    second = fake.push_update(text_update(2002, "/help"))

    # Stop the first poller while the bot answers the first update of the batch.
    poller = start_poller(trained_model, fake, offset_file, log)
    fake.on_send = lambda call: (poller.send_signal(signal.SIGTERM), time.sleep(0.5))
    try:
        wait_while_running(fake, poller, lambda: fake.sent_to(2001), log)
        fake.on_send = None
        assert stop(poller) == 0, log.read_text()
    finally:
        fake.on_send = None
        stop(poller)
    assert fake.calls_of("deleteWebhook"), "the webhook was not deleted before polling"
    assert json.loads(offset_file.read_text()) == {"offset": first["update_id"] + 1}
    assert fake.sent_to(2002) == [], "the poller went on after SIGTERM"
    reply = fake.sent_to(2001)[-1].params
    assert reply["text"] and reply["reply_markup"]["inline_keyboard"], reply
    answers_to_first = len(fake.sent_to(2001))

    # The restarted poller starts where the first one stopped.
    restarted_at = len(fake.calls)
    poller = start_poller(trained_model, fake, offset_file, log)
    try:
        wait_while_running(fake, poller, lambda: fake.sent_to(2002), log)
        press = fake.push_update(callback_update(2001, "/partner_cries_with_me"))
        wait_while_running(fake, poller, lambda: len(fake.sent_to(2001)) > answers_to_first, log)
        assert stop(poller) == 0, log.read_text()
    finally:
        stop(poller)
    polls = [c for c in fake.calls[restarted_at:] if c.method == "getUpdates"]
    assert polls[0].params["offset"] == second["update_id"]
    assert [c.params["callback_query_id"] for c in fake.calls_of("answerCallbackQuery")] == [
        press["callback_query"]["id"]
    ]
    # update 1 was answered once; what 2001 got after the restart is the button's reply
    after = fake.sent_to(2001)[answers_to_first:]
    assert all(c.at > polls[0].at for c in after)
    assert all(c.params["text"] != reply["text"] for c in after)
    assert json.loads(offset_file.read_text()) == {"offset": press["update_id"] + 1}
    assert len(fake.calls_of("getMe")) == 2  # once per start, never per update
