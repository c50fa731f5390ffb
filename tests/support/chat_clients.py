"""Clients that talk to a running `rasa run` the way real users' front ends do."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import socketio

# A reply as the user sees it: one paragraph of text, and the buttons under it.
Reply = tuple[str, tuple[tuple[str, str], ...]]


def normalise(messages: list[dict]) -> list[Reply]:
    """Channel-neutral replies: text split into paragraphs (socket.io splits on blank
    lines), buttons (REST ``buttons``, socket.io ``quick_replies``) under the last one."""
    replies: list[Reply] = []
    for message in messages:
        paragraphs = (message.get("text") or "").strip().split("\n\n")
        buttons = message.get("buttons") or message.get("quick_replies") or []
        pairs = tuple((b["title"], b["payload"]) for b in buttons)
        replies += [(p, ()) for p in paragraphs[:-1]]
        replies.append((paragraphs[-1], pairs))
    return replies


class SocketChat:
    """A python-socketio client in a session of the socket.io channel.

    Polling transport only: python-engineio's websocket client needs aiohttp>=3.10
    (``ClientWSTimeout``) and Rasa 3.6 pins an older aiohttp.
    """

    def __init__(self, server_url: str, *, origin: str | None = None) -> None:
        self.server_url, self.origin = server_url, origin
        self.loop = asyncio.new_event_loop()
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[Any] = []
        self.confirmed: list[str] = []
        self.client.on("bot_uttered", self.received.append)
        self.client.on("session_confirm", self.confirmed.append)
        self.session_id = ""

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def connect(self) -> SocketChat:
        headers = {"Origin": self.origin} if self.origin else {}
        self.run(self.client.connect(self.server_url, headers=headers, transports=["polling"]))
        return self

    def start_session(self, session_id: str | None = None, timeout: float = 10.0) -> str:
        """`session_request` as the widget sends it; returns the confirmed session id,
        which the chat keeps using (the server may confirm another one than asked for)."""
        asked = session_id or uuid.uuid4().hex
        confirmed = len(self.confirmed)
        self.run(self.client.emit("session_request", {"session_id": asked}))
        self.wait_for(lambda: len(self.confirmed) > confirmed, timeout)
        self.session_id = self.confirmed[-1]
        return self.session_id

    def emit(self, event: str, data: Any) -> None:
        self.run(self.client.emit(event, data))

    def say(self, message: str, timeout: float = 30.0, quiet: float = 1.0) -> list[Any]:
        """Send a message; return what arrives until nothing more comes for ``quiet`` s."""
        start = len(self.received)
        self.emit("user_uttered", {"message": message, "session_id": self.session_id})
        return self.collect(start, timeout, quiet)

    def collect(self, start: int, timeout: float = 30.0, quiet: float = 1.0) -> list[Any]:
        self.wait_for(lambda: len(self.received) > start, timeout)
        count, last_change = len(self.received), time.monotonic()
        while time.monotonic() - last_change < quiet:
            self.run(asyncio.sleep(0.05))
            if len(self.received) != count:
                count, last_change = len(self.received), time.monotonic()
        return self.received[start:]

    def wait_for(self, condition: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from the socket.io channel")
            self.run(asyncio.sleep(0.05))

    def close(self) -> None:
        if self.client.connected:
            self.run(self.client.disconnect())
        self.loop.close()
