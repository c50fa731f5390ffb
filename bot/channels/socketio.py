"""Rasa's socket.io channel, with session persistence that survives python-socketio 5.10+.

Rasa 3.6 calls ``sio.enter_room(...)`` without awaiting it; since python-socketio 5.10
it is a coroutine, so the socket never joins its session's room and every reply of a
persisted session is emitted to an empty room. This channel awaits it whenever it is
awaitable (the lock still pins python-socketio below 5.10, this is the second guard).

It also limits socket.io CORS to configured origins (Rasa allows every origin) and
answers malformed events with a message instead of an exception.

credentials.yml::

    bot.channels.socketio.SocketIOInput:
      session_persistence: true
      # optional; else $CHAT_WIDGET_ORIGINS (comma-separated), else the demo page
      cors_allowed_origins: ["https://example.org"]
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

logger = logging.getLogger(__name__)

ORIGINS_ENV = "CHAT_WIDGET_ORIGINS"
# the demo page of `make serve`
DEFAULT_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
MAX_SESSION_ID = 128
MAX_MESSAGE = 5000

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


class SocketIOInput(RasaSocketIOInput):
    """socket.io input channel with awaited room joins and limited CORS."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.cors_allowed_origins = allowed_origins(credentials.get("cors_allowed_origins"))
        return channel

    def __init__(self, *args: Any, cors_allowed_origins: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cors_allowed_origins = cors_allowed_origins or allowed_origins()

    def make_server(self) -> AsyncServer:
        """The socket.io server; a method so tests can hand in a 5.10-style one."""
        return AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = self.make_server()
        self.sio = sio  # get_output_channel() needs it
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
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

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            session_id = valid_session_id(data) or uuid.uuid4().hex
            if self.session_persistence:
                await enter_room(sio, sid, session_id, namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                await tell(sid, BAD_MESSAGE)
                return
            if self.session_persistence:
                sender_id = valid_session_id(data)
                if sender_id is None:
                    await tell(sid, NO_SESSION)
                    return
            else:
                sender_id = sid
            text = data.get("message", "")[:MAX_MESSAGE]
            message = UserMessage(
                text,
                SocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=parse_metadata(data.get(self.metadata_key)),
            )
            await on_new_message(message)

        return blueprint
