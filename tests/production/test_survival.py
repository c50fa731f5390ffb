"""Conversations survive a kill -9; the API is closed; a person can be forgotten."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from bot.paths import ROOT
from bot.testing.rest import reply_text, request, say
from tests.production.conftest import SQLiteBot

pytestmark = pytest.mark.slow


def test_conversation_survives_kill_9_and_api_is_off_then_token_protected(sqlite_bot: SQLiteBot):
    server = sqlite_bot.start(api=False)
    # no API unless asked for: the routes do not exist at all
    for path, body in [("/conversations/x/tracker", None), ("/model/parse", b'{"text":"hi"}')]:
        status, _ = request(server.url + path, body)
        assert status == 404, path

    sender = f"survivor-{uuid.uuid4().hex}"
    say(server.url, sender, "hi")
    first = reply_text(say(server.url, sender, "my wife cries when I cry"))
    assert "wife" in first
    acknowledged = sqlite_bot.events(sender)  # every event of the turns answered so far
    assert [e[0] for e in acknowledged].count("user") == 2

    sqlite_bot.kill()  # SIGKILL: no shutdown, no flush
    server = sqlite_bot.start(api=True)

    assert sqlite_bot.events(sender) == acknowledged
    # the next turn is answered in context: it still knows the topic and "wife"
    answer = reply_text(say(server.url, sender, "what can I do?"))
    assert "wife" in answer and "cries with you" in answer, answer
    assert sqlite_bot.events(sender)[: len(acknowledged)] == acknowledged

    # the API, now asked for, needs the token
    tracker_url = f"{server.url}/conversations/{sender}/tracker"
    assert request(tracker_url)[0] == 401
    assert request(tracker_url + "?token=wrong")[0] == 401
    assert request(f"{server.url}/model/parse", b'{"text":"hi"}')[0] == 401
    status, tracker = request(f"{tracker_url}?token={sqlite_bot.token}")
    assert status == 200 and tracker["sender_id"] == sender


def test_serve_script_refuses_an_api_without_token():
    env = {"PATH": "/usr/bin:/bin", "BOT_ENABLE_API": "1"}
    result = subprocess.run(
        [str(ROOT / "scripts/run-server.sh")], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "RASA_AUTH_TOKEN" in result.stderr


def test_forget_message_erases_the_conversation(sqlite_bot: SQLiteBot):
    url = sqlite_bot.running().url
    sender = f"forget-{uuid.uuid4().hex}"
    say(url, sender, "my husband cried when we broke up")
    assert sqlite_bot.events(sender)

    assert "erased" in reply_text(say(url, sender, "/forget"))
    assert sqlite_bot.events(sender) == []

    # a fresh start: nothing about the husband is left
    again = reply_text(say(url, sender, "what can I do?"))
    assert "husband" not in again
    assert [e[1] for e in sqlite_bot.events(sender) if e[0] == "user"] == ["ask_what_to_do"]


def test_forget_command_erases_the_conversation(sqlite_bot: SQLiteBot):
    url = sqlite_bot.running().url
    sender, other = f"forget-cmd-{uuid.uuid4().hex}", f"keep-{uuid.uuid4().hex}"
    for who in (sender, other):
        say(url, who, "my girlfriend cries when I cry")
    stored = len(sqlite_bot.events(sender))
    assert stored > 0
    assert f"deleted {stored} events" in sqlite_bot.forget(sender)
    assert sqlite_bot.events(sender) == []
    assert sqlite_bot.events(other), "only the named conversation is erased"


def test_logs_hold_no_message_text(sqlite_bot: SQLiteBot):
    server = sqlite_bot.running()
    marker = f"zebraquartz{uuid.uuid4().hex[:8]}"
    sender = f"logs-{uuid.uuid4().hex}"
    say(server.url, sender, f"my boyfriend {marker} cries when I cry")
    say(server.url, sender, marker * 5000)  # over the length limit
    request(
        server.url + "/webhooks/rest/webhook", f'{{"sender": 5, "message": "{marker}"}}'.encode()
    )
    say(server.url, sender, "/forget")
    assert marker not in server.log_text()
