"""Fixtures of the production tests: a real server on a private SQLite store."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.channels.identity import conversation_key
from bot.paths import ROOT
from bot.testing.server import RasaServer, free_port, rasa_server
from tests.support.fake_telegram import BOT_USERNAME, TOKEN, FakeTelegram, fake_telegram

SOCKETIO_CHANNEL = (
    "bot.channels.socketio.SocketIOInput"
    if (ROOT / "bot/channels/socketio.py").exists()
    else "socketio"
)


def write_credentials(path: Path, telegram: str = "") -> Path:
    """The channels under test: the project's REST channel, socket.io, and Telegram
    when ``telegram`` holds its credentials block."""
    path.write_text(
        "bot.channels.rest.CheckedRestInput:\n"
        f"{SOCKETIO_CHANNEL}:\n"
        "  user_message_evt: user_uttered\n"
        "  bot_message_evt: bot_uttered\n"
        "  session_persistence: false\n" + telegram
    )
    return path


def telegram_credentials(fake: FakeTelegram, port: int) -> str:
    """The project's Telegram channel, talking to a fake Bot API on loopback."""
    return (
        "bot.channels.telegram.TelegramInput:\n"
        f"  access_token: '{TOKEN}'\n"
        f"  verify: '{BOT_USERNAME}'\n"
        f"  webhook_url: 'http://127.0.0.1:{port}/webhooks/telegram/webhook'\n"
        f"  api_url: '{fake.url}'\n"
    )


class SQLiteBot:
    """A `rasa run` on its own SQLite tracker store; can be killed and restarted."""

    def __init__(self, model: Path, directory: Path, telegram: FakeTelegram) -> None:
        self.model, self.directory, self.telegram = model, directory, telegram
        self.db = directory / "store/tracker.db"  # the folder is created by the store
        self.endpoints = directory / "endpoints.yml"
        self.endpoints.write_text(
            (ROOT / "endpoints.yml").read_text().replace("var/tracker.db", str(self.db))
        )
        assert str(self.db) in self.endpoints.read_text(), "endpoints.yml has no SQLite store"
        self.credentials = directory / "credentials.yml"
        self.token = secrets.token_urlsafe(24)
        self.api = False
        self._stack: ExitStack | None = None
        self.server: RasaServer | None = None
        self.starts = 0

    def start(self, *, api: bool) -> RasaServer:
        self.stop()
        self._stack = ExitStack()
        extra = ("--enable-api", "--auth-token", self.token) if api else ()
        port = free_port()
        write_credentials(self.credentials, telegram_credentials(self.telegram, port))
        self.server = self._stack.enter_context(
            rasa_server(
                self.model,
                self.directory,
                endpoints=self.endpoints,
                credentials=self.credentials,
                port=port,
                extra_args=extra,
            )
        )
        self.api = api
        self.starts += 1
        return self.server

    def running(self) -> RasaServer:
        """The server, (re)started if it is not running."""
        if self.server is None or self.server.proc.poll() is not None:
            return self.start(api=True)
        return self.server

    def kill(self) -> None:
        assert self.server is not None
        self.server.kill()
        self.stop()

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack, self.server = None, None

    def events(
        self, sender: str, channel: str = "rest"
    ) -> list[tuple[str, str | None, str | None]]:
        """(type, intent, action) of the stored events of ``sender`` on ``channel``, in
        stored order."""
        sender = conversation_key(channel, sender)
        with sqlite3.connect(self.db) as db:
            return db.execute(
                "SELECT type_name, intent_name, action_name FROM events"
                " WHERE sender_id = ? ORDER BY id",
                (sender,),
            ).fetchall()

    def forget(self, sender: str, channel: str = "rest") -> str:
        """`python -m bot.cli.forget <channel>:<sender>` on this store; what it printed."""
        key, endpoints = conversation_key(channel, sender), str(self.endpoints)
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli.forget", key, "--endpoints", endpoints],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def stored_texts(self, sender: str, channel: str = "rest") -> list[str]:
        import json

        sender = conversation_key(channel, sender)
        with sqlite3.connect(self.db) as db:
            rows = db.execute(
                "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
                (sender,),
            ).fetchall()
        return [json.loads(data)["text"] for (data,) in rows]


@pytest.fixture(scope="session")
def sqlite_bot(trained_model: Path, tmp_path_factory) -> Iterator[SQLiteBot]:
    with fake_telegram() as fake:
        bot = SQLiteBot(trained_model, tmp_path_factory.mktemp("sqlite-bot"), fake)
        yield bot
        bot.stop()
    if os.environ.get("BOT_REPORT"):
        print(f"\nSQLite bot: {bot.starts} starts")
