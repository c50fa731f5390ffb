"""A socket.io bot on 127.0.0.1 that says what a test tells it to, for the widget's
browser tests of what the real bot never sends (Markdown, a reply while the panel is
closed, a very long reply) and of a server that issues session ids.

It speaks the protocol of the bot's channel (bot/channels/socketio.py): ``session_request``
``{"session_id": id or null}`` is answered with ``session_confirm`` and joins that
session's room; ``user_uttered`` ``{"message", "session_id"}`` gets the ``bot_uttered``
events the test set for that message, sent to the room, and is acknowledged.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import socketio
from aiohttp import web

from bot.channels.socketio import enter_room
from bot.testing.server import free_port


class FakeBot:
    def __init__(self, origin: str, *, issue_ids: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issue_ids = issue_ids  # like a server that hands out the ids itself
        self.issued: set[str] = set()
        self.replies: dict[str, list[dict]] = {}
        self.requested: list[Any] = []  # session ids asked for
        self.confirmed: list[str] = []
        self.received: list[dict] = []  # user_uttered payloads
        self.sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[origin])
        self.app = web.Application()
        self.sio.attach(self.app)
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _session_request(self, sid: str, data: Any = None) -> None:
        asked = data.get("session_id") if isinstance(data, dict) else None
        self.requested.append(asked)
        if self.issue_ids:
            session_id = asked if asked in self.issued else f"srv-{uuid.uuid4().hex}"
            self.issued.add(session_id)
        else:
            session_id = asked or uuid.uuid4().hex
        await enter_room(self.sio, sid, session_id)
        self.confirmed.append(session_id)
        await self.sio.emit("session_confirm", session_id, room=sid)

    async def _user_uttered(self, sid: str, data: Any = None) -> None:
        self.received.append(data)
        message = data.get("message", "") if isinstance(data, dict) else ""
        for event in self.replies.get(message, [{"text": f"You said: {message}"}]):
            await self.sio.emit("bot_uttered", event, room=data.get("session_id"))

    def push(self, session_id: str, event: dict) -> None:
        """Send a bot message to a session's room now, as if the bot spoke by itself."""
        future = self.sio.emit("bot_uttered", event, room=session_id)
        asyncio.run_coroutine_threadsafe(future, self.loop).result(10)

    def start(self) -> FakeBot:
        self.thread.start()

        async def serve() -> web.AppRunner:
            runner = web.AppRunner(
                self.app, shutdown_timeout=0.5
            )  # browsers may still be connected
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            return runner

        self.runner = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            await self.runner.cleanup()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:  # engine.io's pings and service task
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
