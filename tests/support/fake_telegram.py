"""A fake Telegram Bot API on 127.0.0.1 that records every call.

It answers the methods the channel uses the way api.telegram.org does (same URL
layout ``/bot<token>/<method>``, same ``{"ok": ..., "result": ...}`` envelope, same
errors for a wrong token, an empty text, a too long callback_data, or getUpdates
while a webhook is set), answers the next sendMessage calls as a test scripts them
(``fail_next``: a 429 with ``retry_after``, a 5xx, a slow answer, a refusal), keeps
updates until a later getUpdates confirms them with a higher offset, and delivers
updates to a registered webhook with its secret header. It runs on its own event
loop in a thread, so synchronous tests and other processes can both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.testing.server import free_port

TOKEN = "123456789:TEST-fake-token_for-tests"
BOT_USERNAME = "partner_tears_test_bot"
JSON_FIELDS = {"reply_markup", "allowed_updates"}
INT_FIELDS = {"offset", "limit", "timeout", "message_id"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        return f"{self.method}({json.dumps(self.params, ensure_ascii=False)})"


def _decode(params: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if key in JSON_FIELDS and isinstance(value, str):
            value = json.loads(value)
        elif key in INT_FIELDS and isinstance(value, str):
            value = int(value)
        decoded[key] = value
    return decoded


class FakeTelegram:
    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        self.token, self.username = token, username
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self.webhook_answers: list[int] = []  # HTTP status of each delivery
        # called (in the fake's thread) before sendMessage answers; tests use it to
        # stop a poller in the middle of a batch
        self.on_send: Callable[[Call], None] | None = None
        # how to answer the next sendMessage calls to a chat
        self.faults: dict[str, list[dict[str, Any]]] = {}
        self.delivered: list[Call] = []  # sendMessage calls answered with ok
        self._pending: list[dict] = []  # updates not yet confirmed by an offset
        self._ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._new_update: asyncio.Condition | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeTelegram:
        self._thread.start()
        self._run(self._start())
        return self

    async def _start(self) -> None:
        self._new_update = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        if self._runner is not None:
            self._run(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- what tests use ------------------------------------------------------------
    def calls_of(self, *methods: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method in methods]

    def fail_next(self, chat_id: int | str, *faults: dict[str, Any]) -> None:
        """Answer the next sendMessage calls to the chat so, one fault each, e.g.
        ``{"status": 429, "retry_after": 1}``, ``{"status": 500}``, ``{"delay": 5}``
        (answered normally after 5 s), ``{"status": 403, "description": "..."}``."""
        with self._lock:
            self.faults.setdefault(str(chat_id), []).extend(faults)

    def delivered_to(self, chat_id: int | str) -> list[Call]:
        """The messages that reached the chat (sendMessage answered with ok)."""
        with self._lock:
            return [c for c in self.delivered if str(c.params["chat_id"]) == str(chat_id)]

    def sent_to(self, chat_id: int | str) -> list[Call]:
        return [c for c in self.calls_of("sendMessage") if str(c.params["chat_id"]) == str(chat_id)]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            time.sleep(0.05)
        raise TimeoutError(f"condition not met within {timeout}s; calls: {self.calls}")

    def replies(self, chat_id: int | str, start: int = 0, quiet: float = 1.0) -> list[Call]:
        """The messages sent to the chat after the first ``start``, once they stop coming
        for ``quiet`` s: the bot answers a webhook first and sends its replies after."""
        self.wait_for(lambda: len(self.sent_to(chat_id)) > start)
        count, last_change = len(self.sent_to(chat_id)), time.monotonic()
        while time.monotonic() - last_change < quiet:
            time.sleep(0.05)
            if len(self.sent_to(chat_id)) != count:
                count, last_change = len(self.sent_to(chat_id)), time.monotonic()
        return self.sent_to(chat_id)[start:]

    def push_update(self, update: dict) -> dict:
        """Queue an update for getUpdates (polling mode)."""
        update.setdefault("update_id", next(self._ids))

        async def push() -> None:
            assert self._new_update is not None
            async with self._new_update:
                self._pending.append(update)
                self._new_update.notify_all()

        self._run(push())
        return update

    def deliver(self, update: dict) -> int:
        """POST an update to the registered webhook, as Telegram does; the HTTP status."""
        update.setdefault("update_id", next(self._ids))
        assert self.webhook.get("url"), "no webhook registered"

        async def post() -> int:
            headers = {}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            async with (
                aiohttp.ClientSession() as session,
                session.post(self.webhook["url"], json=update, headers=headers) as answer,
            ):
                return answer.status

        status = self._run(post(), timeout=120)
        self.webhook_answers.append(status)
        return status

    # --- the Bot API -----------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        try:
            params = _decode(params)
        except ValueError:
            return self._error(400, "Bad Request: can't parse JSON parameter")
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
        handler = getattr(self, "_api_" + method.lower(), None)
        if handler is None:
            return self._error(404, "Not Found")
        return await handler(call)

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(code: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def _fault(self, chat_id: str) -> web.Response | None:
        with self._lock:
            faults = self.faults.get(chat_id)
            fault = faults.pop(0) if faults else None
        if fault is None:
            return None
        if fault.get("delay"):
            await asyncio.sleep(fault["delay"])
        status = fault.get("status")
        if status == 429:
            retry_after = fault.get("retry_after", 1)
            return self._error(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        if status:
            return self._error(status, fault.get("description", "Internal Server Error"))
        return None

    async def _api_getme(self, call: Call) -> web.Response:
        bot_id = int(self.token.split(":")[0])
        return self._ok(
            {"id": bot_id, "is_bot": True, "first_name": "Partner Tears", "username": self.username}
        )

    async def _api_setwebhook(self, call: Call) -> web.Response:
        secret = call.params.get("secret_token", "")
        if secret and not all(c.isalnum() or c in "_-" for c in secret):
            return self._error(400, "Bad Request: secret token contains unallowed characters")
        if not call.params.get("url"):
            return self._error(400, "Bad Request: bad webhook: HTTPS url must be provided")
        self.webhook = {"url": call.params["url"], "secret_token": secret}
        return self._ok(True)

    async def _api_deletewebhook(self, call: Call) -> web.Response:
        self.webhook = {}
        return self._ok(True)

    async def _api_getupdates(self, call: Call) -> web.Response:
        if self.webhook:
            return self._error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(call.params.get("offset", 0))
        limit = int(call.params.get("limit", 100))
        timeout = float(call.params.get("timeout", 0))
        assert self._new_update is not None
        async with self._new_update:
            if offset:  # confirms every update before it, as Telegram does
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if not self._pending and timeout:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), timeout)
            return self._ok(self._pending[:limit])

    async def _api_sendmessage(self, call: Call) -> web.Response:
        text = call.params.get("text", "")
        if not str(text).strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        markup = call.params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for key in row:
                if len(key.get("callback_data", "").encode()) > 64:
                    return self._error(400, "Bad Request: BUTTON_DATA_INVALID")
        failed = await self._fault(str(call.params.get("chat_id")))
        if failed is not None:
            return failed
        if self.on_send is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_send, call)
        chat_id = int(call.params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Bot"},
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        with self._lock:
            self.delivered.append(call)
        return self._ok(message)

    async def _api_answercallbackquery(self, call: Call) -> web.Response:
        if not call.params.get("callback_query_id"):
            return self._error(400, "Bad Request: query is too old or query ID is invalid")
        return self._ok(True)


@contextmanager
def fake_telegram(**kwargs: Any) -> Iterator[FakeTelegram]:
    fake = FakeTelegram(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


# --- updates as Telegram sends them -----------------------------------------------------
_user_ids = itertools.count(5000)


def user(user_id: int | None = None, name: str = "Alex") -> dict:
    return {"id": user_id or next(_user_ids), "is_bot": False, "first_name": name}


def text_update(chat_id: int, text: str, sender: dict | None = None) -> dict:
    """A message from a user; negative chat ids are groups, as on Telegram."""
    sender = sender or user(chat_id if chat_id > 0 else None)
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
    return {
        "message": {
            "message_id": next(_user_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            "text": text,
        }
    }


def callback_update(chat_id: int, data: str, sender: dict | None = None) -> dict:
    """A press on an inline keyboard button under one of the bot's messages."""
    sender = sender or user(chat_id if chat_id > 0 else None)
    return {
        "callback_query": {
            "id": f"cbq-{next(_user_ids)}",
            "from": sender,
            "chat_instance": "42",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": "(the bot's message with the keyboard)",
            },
        }
    }
