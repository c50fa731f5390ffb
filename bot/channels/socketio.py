"""Rasa's socket.io channel, with session persistence that survives python-socketio 5.10+.

Rasa 3.6 calls ``sio.enter_room(...)`` without awaiting it; since python-socketio 5.10
it is a coroutine, so the socket never joins its session's room and every reply of a
persisted session is emitted to an empty room. This channel awaits it whenever it is
awaitable (the lock still pins python-socketio below 5.10, this is the second guard).

It also limits socket.io CORS to configured origins (Rasa allows every origin) and
answers malformed events with a message instead of an exception.

Sessions belong to their socket. Rasa lets a client pick any ``session_id`` and then
uses the ``session_id`` of each message, so one socket could join any number of
sessions and anyone who knew or guessed an id could read, write into and erase that
conversation. Here the server issues the id: ``<id>.<signature>``, 128 random bits
signed with HMAC-SHA256 under a server secret (``CHAT_SESSION_SECRET``, else a random
one kept in ``.rasa/chat-session-secret``). A ``session_request`` with an id the server
did not sign (made up, or only the ``<id>`` part someone saw) gets a new session; a
socket holds one session at a time, and a message belongs to its socket's session,
whatever ``session_id`` it names. The conversation is stored as ``socketio:<id>``.

credentials.yml::

    bot.channels.socketio.SocketIOInput:
      session_persistence: true
      # optional; else $CHAT_WIDGET_ORIGINS (comma-separated), else the demo page
      cors_allowed_origins: ["https://example.org"]
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.identity import conversation_key, identity_of
from bot.channels.limits import guard
from bot.paths import ROOT

logger = logging.getLogger(__name__)

ORIGINS_ENV = "CHAT_WIDGET_ORIGINS"
# the demo page of `make serve`
DEFAULT_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
MAX_SESSION_ID = 128
MAX_MESSAGE = 5000
SECRET_ENV = "CHAT_SESSION_SECRET"
SECRET_FILE = ROOT / ".rasa" / "chat-session-secret"
# what the server issues: 32 hex digits, a dot, 32 hex digits of signature
SESSION_TOKEN = re.compile(r"^([0-9a-f]{32})\.([0-9a-f]{32})$")

BAD_MESSAGE = "Sorry, I could not read that message. Please type it again."
NO_SESSION = "Sorry, this chat has no session yet. Please reload the page."


def allowed_origins(configured: Any = None, env: dict[str, str] | None = None) -> list[str]:
    """Origins allowed to open a socket: credentials first, then the env var, then the demo."""
    env = os.environ if env is None else env
    value = configured if configured else env.get(ORIGINS_ENV, "")
    if isinstance(value, str):
        value = value.split(",")
    origins = [str(origin).strip().rstrip("/") for origin in value or [] if str(origin).strip()]
    return origins or list(DEFAULT_ORIGINS)


async def enter_room(sio: Any, sid: str, room: str, namespace: str | None = None) -> None:
    """Join ``room``, whether ``enter_room`` is a plain call (<5.10) or a coroutine (5.10+)."""
    result = sio.enter_room(sid, room, namespace=namespace)
    if inspect.isawaitable(result):
        await result


def session_secret(env: dict[str, str] | None = None, path: Path = SECRET_FILE) -> bytes:
    """The key that signs session ids: from the environment (the same on every replica),
    else made once and kept in a file readable by this user only, so sessions survive
    a restart."""
    env = os.environ if env is None else env
    if env.get(SECRET_ENV, "").strip():
        return env[SECRET_ENV].strip().encode()
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process was first
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret


class SessionIds:
    """Session ids the server issues and recognises: ``<id>.<HMAC of id>``."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _signature(self, session: str) -> str:
        return hmac.new(self.secret, session.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        session = secrets.token_hex(16)
        return f"{session}.{self._signature(session)}"

    def session_of(self, token: Any) -> str | None:
        """The session of a token the server issued, else None."""
        match = SESSION_TOKEN.match(token) if isinstance(token, str) else None
        if match and hmac.compare_digest(match.group(2), self._signature(match.group(1))):
            return match.group(1)
        return None


def valid_session_id(data: Any) -> str | None:
    """The client's session id if it is a sane string, else None."""
    session_id = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(session_id, str) and 0 < len(session_id.strip()) <= MAX_SESSION_ID:
        return session_id.strip()
    return None


def parse_metadata(raw: Any) -> dict[str, Any]:
    """Message metadata as a dict; anything unreadable becomes empty, not an error."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


async def leave_room(sio: Any, sid: str, room: str, namespace: str | None = None) -> None:
    result = sio.leave_room(sid, room, namespace=namespace)
    if inspect.isawaitable(result):
        await result


class SessionOutput(SocketIOOutput):
    """Rasa's output, to the room of the session in the conversation key."""

    async def _send_message(self, socket_id: str, response: Any) -> None:
        await self.sio.emit(self.bot_message_evt, response, room=identity_of(socket_id, "socketio"))


class SocketIOInput(RasaSocketIOInput):
    """socket.io input channel with server-issued sessions, awaited room joins and
    limited CORS."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.cors_allowed_origins = allowed_origins(credentials.get("cors_allowed_origins"))
        return channel

    def __init__(self, *args: Any, cors_allowed_origins: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cors_allowed_origins = cors_allowed_origins or allowed_origins()
        self.session_ids = SessionIds(session_secret())
        self.session_of_socket: dict[str, str] = {}  # sid -> session

    def get_output_channel(self) -> SessionOutput | None:
        if self.sio is None:
            return None
        return SessionOutput(self.sio, self.bot_message_evt)

    def make_server(self) -> AsyncServer:
        """The socket.io server; a method so tests can hand in a 5.10-style one."""
        return AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = self.make_server()
        self.sio = sio  # get_output_channel() needs it
        blueprint = guard(SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__))
        namespace = self.namespace

        async def tell(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: str) -> None:
            self.session_of_socket.pop(sid, None)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            token = valid_session_id(data)
            session = self.session_ids.session_of(token)
            if session is None:  # not one the server issued: a new one
                token = self.session_ids.issue()
                session = self.session_ids.session_of(token)
            previous = self.session_of_socket.get(sid)
            if previous is not None and previous != session:
                await leave_room(sio, sid, previous, namespace)  # one session per socket
            self.session_of_socket[sid] = session
            if self.session_persistence:
                await enter_room(sio, sid, session, namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                await tell(sid, BAD_MESSAGE)
                return
            if self.session_persistence:
                # the socket's own session; a session_id in the message names nothing
                sender_id = self.session_of_socket.get(sid)
                if sender_id is None:
                    await tell(sid, NO_SESSION)
                    return
            else:
                sender_id = sid
            text = data.get("message", "")[:MAX_MESSAGE]
            message = UserMessage(
                text,
                SessionOutput(sio, self.bot_message_evt),
                conversation_key(self.name(), sender_id),
                input_channel=self.name(),
                metadata=parse_metadata(data.get(self.metadata_key)),
            )
            await on_new_message(message)

        return blueprint
