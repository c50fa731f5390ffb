"""Telegram updates are handled once across a restart; an erased conversation leaves no
text in the SQLite file or its write-ahead log; no message text reaches the logs."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from bot.testing.rest import reply_text, say
from bot.testing.server import free_port, rasa_server
from tests.production.conftest import SQLiteBot, telegram_credentials, write_credentials
from tests.support.chat_clients import SocketChat
from tests.support.fake_telegram import callback_update, fake_telegram, text_update

pytestmark = pytest.mark.slow


def test_the_same_update_after_a_restart_is_not_answered_again(sqlite_bot: SQLiteBot):
    sqlite_bot.start(api=False)
    fake = sqlite_bot.telegram
    fake.wait_for(lambda: fake.webhook.get("url"))
    chat = 740_001
    update = {"update_id": 7_400_001, **text_update(chat, "/help")}
    press = {"update_id": 7_400_002, **callback_update(chat, "/partner_cries_with_me")}
    assert fake.deliver(json.loads(json.dumps(update))) == 200
    assert fake.deliver(json.loads(json.dumps(press))) == 200
    fake.wait_for(lambda: len(fake.delivered_to(chat)) >= 2)
    time.sleep(1)
    delivered = len(fake.delivered_to(chat))
    stored = sqlite_bot.events(str(chat), "telegram")

    sqlite_bot.kill()  # kill -9, then Telegram sends both again (it got no answer, say)
    registered = len(fake.calls_of("setWebhook"))
    sqlite_bot.start(api=False)
    fake.wait_for(lambda: len(fake.calls_of("setWebhook")) > registered)
    assert fake.deliver(json.loads(json.dumps(update))) == 200
    assert fake.deliver(json.loads(json.dumps(press))) == 200
    time.sleep(2)
    assert len(fake.delivered_to(chat)) == delivered, "an update was answered twice"
    assert sqlite_bot.events(str(chat), "telegram") == stored
    answered = [c.params["callback_query_id"] for c in fake.calls_of("answerCallbackQuery")]
    assert answered.count(press["callback_query"]["id"]) == 1
    # a new update is answered as usual
    assert fake.deliver(text_update(chat, "are you a bot?")) == 200
    fake.wait_for(lambda: len(fake.delivered_to(chat)) > delivered)


def files_holding(paths: list[Path], needle: bytes) -> list[str]:
    """The files whose bytes contain ``needle`` (what `strings | grep` would find)."""
    return [p.name for p in paths if p.exists() and needle in p.read_bytes()]


def test_erasure_leaves_no_text_in_the_database_or_its_wal(sqlite_bot: SQLiteBot):
    server = sqlite_bot.running()
    db = sqlite_bot.db
    files = [db, db.with_name(db.name + "-wal")]
    words = [f"okapi{uuid.uuid4().hex[:10]}", f"narwhal{uuid.uuid4().hex[:10]}"]
    # typed /forget
    sender = f"erase-{uuid.uuid4().hex}"
    say(server.url, sender, f"my husband {words[0]} cried when we broke up")
    say(server.url, sender, f"what can I do about {words[0]}")
    assert files_holding(files, words[0].encode()), "the test cannot see the stored text"
    assert "erased" in reply_text(say(server.url, sender, "/forget"))
    # the operator's command
    other = f"erase-cmd-{uuid.uuid4().hex}"
    say(server.url, other, f"my wife {words[1]} cries when I cry")
    assert files_holding(files, words[1].encode())
    sqlite_bot.forget(other)
    for word in words:
        assert files_holding(files, word.encode()) == [], word
    # the conversations of others are still there and the server goes on
    reply = say(server.url, f"after-{uuid.uuid4().hex}", "my wife cries when I cry")
    assert "wife" in reply_text(reply)


def test_no_message_text_in_the_logs_of_a_conversation_on_every_channel(
    trained_model: Path, tmp_path: Path
):
    """Plain `rasa run` (the project's launcher also hides warnings): REST, socket.io and
    Telegram, slash commands and all, and the log holds none of the words."""
    marker = f"quagga{uuid.uuid4().hex[:6]}"
    said = [
        f"my boyfriend {marker}a cries when I cry",
        f"/help {marker}b",
        f'/greet{{"partner": "{marker}c"}}',
        f"/{marker}d",
        f"/greet{{{marker}e",
        f"/ {marker}f",
        f"/start {marker}g",
        "/forget",
    ]
    port = free_port()
    with fake_telegram() as fake:
        credentials = write_credentials(
            tmp_path / "credentials.yml", telegram_credentials(fake, port)
        )
        with rasa_server(
            trained_model, tmp_path, credentials=credentials, port=port, plain_rasa=True
        ) as server:
            fake.wait_for(lambda: fake.webhook.get("url"))
            sender = f"logs-{uuid.uuid4().hex}"
            widget = SocketChat(server.url).connect()
            try:
                widget.start_session()
                for index, text in enumerate(said):
                    say(server.url, sender, text)
                    widget.say(text, quiet=0.3)
                    fake.deliver(text_update(750_001, text))
                    fake.deliver(callback_update(750_001, f"/{marker}h{index}"))
                fake.replies(750_001)
            finally:
                widget.close()
            log = server.log_text()
    assert "Rasa server is up and running" in log
    assert marker not in log, [line for line in log.splitlines() if marker in line][:3]
