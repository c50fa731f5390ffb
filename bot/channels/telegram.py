"""The project's Telegram channel: Rasa's, with what it lacks for real use.

Rasa 3.6's ``rasa.core.channels.telegram`` calls ``getMe`` on every update, trusts any
POST to its webhook, always talks to api.telegram.org, fails with 500 on updates that
carry no message, never answers callback queries (buttons keep spinning) and mixes
everyone in a group chat into one conversation. This channel keeps its output channel
(an aiogram 2 ``Bot``) and replaces the rest.

Registered in credentials.yml by module path::

    bot.channels.telegram.TelegramInput:

What it adds for delivery (exactly once, nothing lost):

- the turn is handled and stored first, with the replies collected (``TurnReplies``),
  and the webhook answers Telegram at once; the replies are then sent in the
  background, in order per chat, each retried after ``retry_after`` on a 429 and with
  a bounded backoff on a 5xx, a network error or a timeout (``Delivery``). A reply
  that finally cannot be delivered is logged without its text and recorded in the
  conversation (an ``agent`` event with ``{"undelivered": n}``);
- each ``update_id`` is claimed in the tracker store before it is handled
  (``BotSQLTrackerStore.claim_update``), so a redelivered update, or a button pressed
  twice into the same update, is answered once, across restarts and replicas;
- an update of any shape gets 200 (or 400 for a body that is not JSON), never a 500;
- conversations are kept as ``telegram:<chat>`` (``telegram:<chat>:<user>`` in groups),
  found only through the webhook with its secret or the poller.

Every setting left out there is read from the environment (``TELEGRAM_TOKEN``,
``TELEGRAM_BOT_NAME``, ``TELEGRAM_WEBHOOK_URL``, ``TELEGRAM_SECRET_TOKEN``,
``TELEGRAM_API_URL``); without a token the channel switches itself off, so
``rasa run`` still serves the other channels.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.utils import exceptions as tg
from aiogram.utils.exceptions import TelegramAPIError, ValidationError
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from rasa.shared.core.events import AgentUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.identity import conversation_key, identity_of
from bot.channels.limits import guard

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# setWebhook accepts 1-256 characters of A-Z, a-z, 0-9, _ and -
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Only these reach the bot; the rest are answered 200 and dropped.
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_TEXT = 4096  # Telegram's limit per message
MAX_CALLBACK_DATA = 64  # bytes
# Telegram's ids are 64-bit integers (chat ids of supergroups: -100 followed by 10-13
# digits); anything else in an id field is not an update from Telegram
MAX_ID = 2**63
MAX_CALLBACK_QUERY_ID = 64
# delivery: a reply is tried this often, waiting at most this long for one answer
SEND_ATTEMPTS = 6
SEND_TIMEOUT = 20.0
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
MAX_RETRY_AFTER = 60.0

# credentials.yml key -> environment variable read when the key is missing or empty
ENV_VARS = {
    "access_token": "TELEGRAM_TOKEN",
    "verify": "TELEGRAM_BOT_NAME",
    "webhook_url": "TELEGRAM_WEBHOOK_URL",
    "secret_token": "TELEGRAM_SECRET_TOKEN",
    "api_url": "TELEGRAM_API_URL",
}

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def settings_from(credentials: dict[str, Any] | None) -> dict[str, str]:
    """credentials.yml values, completed from the environment, as stripped strings."""
    credentials = credentials or {}
    settings = {}
    for key, env_var in ENV_VARS.items():
        value = credentials.get(key) or os.environ.get(env_var) or ""
        settings[key] = str(value).strip()
    return settings


def chat_id_of(recipient_id: str) -> str:
    """The chat of a conversation: ``telegram:<chat>`` or, in groups,
    ``telegram:<chat>:<user>`` (without the prefix when called directly)."""
    return identity_of(str(recipient_id), "telegram").split(":", 1)[0]


class TelegramOutput(RasaTelegramOutput):
    """Rasa's output channel, talking to a configurable Bot API server."""

    def __init__(self, access_token: str, api_url: str = DEFAULT_API_URL) -> None:
        # skip RasaTelegramOutput.__init__: it cannot pass the server URL on
        Bot.__init__(
            self, access_token, server=TelegramAPIServer.from_base(api_url), timeout=SEND_TIMEOUT
        )

    async def _send(self, what: str, *args: Any, **kwargs: Any) -> None:
        """Send at once what ``TurnReplies`` would collect (outside a webhook turn)."""
        replies = TurnReplies()
        await getattr(replies, what)(*args, **kwargs)
        for method, params in replies.calls:
            await self.request(method, params)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send("send_text_message", recipient_id, text)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send("send_image_url", recipient_id, image)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        await self._send("send_text_with_buttons", recipient_id, text, buttons, button_type)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        json_message = {"chat_id": chat_id_of(recipient_id), **json_message}
        await super().send_custom_json(recipient_id, json_message, **kwargs)


class TurnReplies(OutputChannel):
    """What the bot says in one turn, as Bot API calls to make once the turn is stored."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # a message per blank-line-separated part, as Rasa's other output channels
        # send them: the same chat bubbles everywhere (none over 350 characters)
        paragraphs = [p for p in (text or "").strip().split("\n\n") if p.strip()] or [""]
        for part in (piece for paragraph in paragraphs for piece in split_text(paragraph)):
            self.calls.append(("sendMessage", {"chat_id": chat_id_of(recipient_id), "text": part}))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self.calls.append(("sendPhoto", {"chat_id": chat_id_of(recipient_id), "photo": image}))

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        """The text, then the buttons as an inline keyboard under its last part.

        One button per row unless the response asks for ``button_type: inline``:
        the titles are sentences and would be cut off side by side on a phone.
        """
        parts = split_text(text)
        chat = chat_id_of(recipient_id)
        for part in parts[:-1]:
            self.calls.append(("sendMessage", {"chat_id": chat, "text": part}))
        markup = json.dumps({"inline_keyboard": inline_keyboard(buttons, button_type)})
        self.calls.append(
            ("sendMessage", {"chat_id": chat, "text": parts[-1], "reply_markup": markup})
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        message = dict(json_message)
        message.setdefault("chat_id", chat_id_of(recipient_id))
        method = "sendMessage" if "text" in message else "sendPhoto" if "photo" in message else ""
        if method:
            if isinstance(message.get("reply_markup"), (dict, list)):
                message["reply_markup"] = json.dumps(message["reply_markup"])
            self.calls.append((method, message))
        else:
            logger.warning("A custom Telegram message without text or photo was not sent")


def retryable(error: BaseException) -> float | None:
    """Seconds to wait before trying a failed call again, or None when trying again
    cannot help (a bad request, a blocked bot, a wrong token)."""
    if isinstance(error, tg.RetryAfter):
        return min(float(error.timeout or 1), MAX_RETRY_AFTER)
    if isinstance(error, (tg.NetworkError, tg.RestartingTelegram, asyncio.TimeoutError)):
        return 0.0
    # a 5xx is a bare TelegramAPIError; its subclasses are 4xx answers
    if type(error) is TelegramAPIError:
        return 0.0
    return None


@dataclass
class Delivery:
    """Sends the replies of turns, in order per chat, retrying what can succeed later."""

    bot: TelegramOutput
    attempts: int = SEND_ATTEMPTS
    backoff: tuple[float, ...] = BACKOFF
    pending: set[asyncio.Task] = field(default_factory=set)
    # per chat: its lock, and how many deliveries use it
    _chats: dict[str, tuple[asyncio.Lock, int]] = field(default_factory=dict)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """One Bot API call, tried until it succeeds or cannot; raises the last error."""
        for attempt in range(self.attempts):
            try:
                return await self.bot.request(method, params)
            except (TelegramAPIError, asyncio.TimeoutError) as error:
                wait = retryable(error)
                if wait is None or attempt == self.attempts - 1:
                    raise
                wait = max(wait, self.backoff[min(attempt, len(self.backoff) - 1)])
                logger.warning(
                    "Telegram %s failed (%s), try %d of %d in %.1fs",
                    method,
                    type(error).__name__,
                    attempt + 2,
                    self.attempts,
                    wait,
                )
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def send(self, chat: str, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
        """Send ``calls`` in order; the error type of each call that was not delivered."""
        lock, users = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, users + 1)
        failed = []
        try:
            async with lock:
                for method, params in calls:
                    try:
                        await self.call(method, params)
                    except Exception as error:  # never the text: only what went wrong
                        name = type(error).__name__
                        logger.error("Telegram %s to a chat not delivered: %s", method, name)
                        failed.append(name)
        finally:
            lock, users = self._chats[chat]
            if users == 1:
                del self._chats[chat]  # no lock kept for every chat ever seen
            else:
                self._chats[chat] = (lock, users - 1)
        return failed

    def in_background(self, job: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(job)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return task

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the deliveries still running (at shutdown)."""
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)


def split_text(text: str) -> list[str]:
    """Parts of at most MAX_TEXT characters, cut at paragraph or line breaks if possible."""
    text = (text or "").strip() or "…"
    parts = []
    while len(text) > MAX_TEXT:
        cut = max(text.rfind("\n\n", 0, MAX_TEXT), text.rfind("\n", 0, MAX_TEXT))
        if cut <= 0:
            cut = text.rfind(" ", 0, MAX_TEXT)
        if cut <= 0:
            cut = MAX_TEXT
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    parts.append(text)
    return parts


def inline_keyboard(
    buttons: list[dict[str, Any]], button_type: str | None = None
) -> list[list[dict[str, str]]]:
    keys = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "")
        payload = str(button.get("payload") or title)
        if len(payload.encode()) > MAX_CALLBACK_DATA:
            # Telegram rejects the whole message; the title still reaches the NLU
            logger.warning("Button payload over %d bytes, sending its title", MAX_CALLBACK_DATA)
            payload = title.encode()[:MAX_CALLBACK_DATA].decode(errors="ignore")
        keys.append({"text": title, "callback_data": payload})
    if button_type == "inline":
        return [keys]
    return [[key] for key in keys]


@dataclass
class IncomingText:
    """What one update says to the bot, and who says it."""

    sender_id: str
    text: str
    metadata: dict[str, Any]
    callback_query_id: str | None = None


def _id(value: Any) -> int | None:
    """A Telegram id: an integer (not a bool) of at most 64 bits, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < abs(value) < MAX_ID:
        return value
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_update(update: Any, bot_name: str = "") -> IncomingText | None:
    """The user's text in an update, or None for anything the bot should not answer.

    Any shape is accepted: a field of the wrong type makes the update one to ignore,
    never an exception.
    """
    try:
        return _parse_update(update, bot_name)
    except Exception:  # a shape nobody thought of: ignored, as Telegram must not resend it
        logger.warning("Telegram update of an unexpected shape ignored")
        return None


def _parse_update(update: Any, bot_name: str) -> IncomingText | None:
    if not isinstance(update, dict):
        return None
    if "callback_query" in update:
        query = _object(update["callback_query"])
        user = _object(query.get("from"))
        chat = _object(_object(query.get("message")).get("chat"))
        data, query_id = query.get("data"), query.get("id")
        if _id(user.get("id")) is None or not isinstance(data, str) or not data.strip():
            return None
        if not isinstance(query_id, str) or not 0 < len(query_id) <= MAX_CALLBACK_QUERY_ID:
            return None
        if _id(chat.get("id")) is None:
            chat = {"id": user["id"], "type": "private"}
        return IncomingText(
            sender_id(chat, user),
            data[:MAX_CALLBACK_DATA],
            metadata(update, chat, user),
            callback_query_id=query_id,
        )
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return None  # stickers, photos, edits, channel posts, membership changes...
    chat = _object(message.get("chat"))
    if _id(chat.get("id")) is None:
        return None
    user = _object(message.get("from"))
    text = command_to_text(message["text"], bot_name)
    if not text:
        return None
    return IncomingText(sender_id(chat, user), text, metadata(update, chat, user))


def sender_id(chat: dict[str, Any], user: dict[str, Any]) -> str:
    """One conversation per user: in groups the chat alone would mix everyone."""
    if chat.get("type") in ("group", "supergroup") and _id(user.get("id")) is not None:
        return conversation_key("telegram", f"{chat['id']}:{user['id']}")
    return conversation_key("telegram", str(chat["id"]))


def update_id_of(update: Any) -> int | None:
    value = update.get("update_id") if isinstance(update, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_ID:
        return value
    return None


def metadata(update: dict, chat: dict, user: dict) -> dict[str, Any]:
    chat_type = chat.get("type")
    return {
        "telegram": {
            "update_id": update_id_of(update),
            "chat_id": chat.get("id"),
            "chat_type": chat_type if isinstance(chat_type, str) and len(chat_type) < 20 else None,
            "user_id": _id(user.get("id")),
        }
    }


def command_to_text(text: str, bot_name: str = "") -> str:
    """Telegram's commands as the bot understands them.

    ``/start`` (what Telegram sends first) greets, ``/help@MyBot`` (a command in a
    group) is ``/help``; other text is passed on unchanged.
    """
    text = text.strip()
    match = re.match(r"^/(\w+)(?:@(\w+))?(?:\s|$)", text)
    if not match:
        return text
    command, addressee = match.groups()
    if addressee and bot_name and addressee.lower() != bot_name.lstrip("@").lower():
        return ""  # a command for another bot in the same group
    if command == "start":
        return "/greet"
    rest = text[match.end() :].strip()
    return f"/{command} {rest}".strip()


class MemoryClaims:
    """Updates seen, in memory (when the tracker store cannot keep them): the latest
    ``size`` ids."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.seen: dict[tuple[str, int], bool] = {}

    def claim_update(self, channel: str, update_id: int) -> bool:
        if (channel, update_id) in self.seen:
            return False
        self.seen[(channel, update_id)] = False
        while len(self.seen) > self.size:
            self.seen.pop(next(iter(self.seen)))
        return True

    def finish_update(self, channel: str, update_id: int, handled: bool = True) -> None:
        if handled:
            self.seen[(channel, update_id)] = True
        else:
            self.seen.pop((channel, update_id), None)


async def record_undelivered(agent: Any, sender_id: str, errors: list[str]) -> None:
    """Note in the conversation that replies did not reach the person (no text)."""
    store, locks = getattr(agent, "tracker_store", None), getattr(agent, "lock_store", None)
    if store is None or locks is None:
        return
    try:
        async with locks.lock(sender_id):
            tracker = await store.retrieve(sender_id)
            if tracker is None:  # erased meanwhile
                return
            tracker.update(AgentUttered(data={"undelivered": len(errors), "errors": errors}))
            await store.save(tracker)
    except Exception as error:
        logger.error("Could not record undelivered replies: %s", type(error).__name__)


class TelegramInput(InputChannel):
    """Telegram webhook channel; also drives the long-polling mode."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        return cls(**settings_from(credentials))

    def __init__(
        self,
        access_token: str = "",
        verify: str = "",
        webhook_url: str = "",
        secret_token: str = "",
        api_url: str = "",
    ) -> None:
        self.access_token = access_token
        self.verify = verify.lstrip("@")
        self.webhook_url = webhook_url
        self.api_url = api_url or DEFAULT_API_URL
        self.secret_token = secret_token
        self.disabled_reason = self._check()
        if not self.disabled_reason and not self.secret_token:
            # nobody else can know it: only the webhook we register ourselves is trusted
            self.secret_token = secrets.token_urlsafe(32)
        self._out: TelegramOutput | None = None
        self._delivery: Delivery | None = None
        self.claims = MemoryClaims()

    def _check(self) -> str:
        """Why the channel cannot run, or '' when it can."""
        if not self.access_token:
            return "TELEGRAM_TOKEN is not set"
        if not re.match(r"^\d+:[\w-]+$", self.access_token):
            return "TELEGRAM_TOKEN does not look like a BotFather token (<digits>:<letters>)"
        if self.secret_token and not SECRET_PATTERN.match(self.secret_token):
            return "TELEGRAM_SECRET_TOKEN may only hold 1-256 of A-Z a-z 0-9 _ -"
        if not re.match(r"^https?://", self.api_url):
            return f"TELEGRAM_API_URL is not an http(s) URL: {self.api_url!r}"
        return ""

    @property
    def enabled(self) -> bool:
        return not self.disabled_reason

    def get_output_channel(self) -> TelegramOutput:
        """One Bot (one HTTP session) per channel, created without network calls."""
        if self._out is None:
            try:
                self._out = TelegramOutput(self.access_token, self.api_url)
            except ValidationError as error:  # aiogram's own token check
                raise ValueError(f"Invalid Telegram token: {error}") from error
        return self._out

    async def handle_update(
        self,
        update: Any,
        on_new_message: OnNewMessage,
        agent: Any = None,
        *,
        background: bool = True,
    ) -> str:
        """Handle one update: "ignored" (nothing to answer), "duplicate" (handled before),
        "handled", or "failed" (not handled: it may come again and is then handled).

        The turn is handled and stored first, with its replies collected; they are then
        sent in the background (``background``, the webhook) or before this returns
        (the poller). ``agent`` gives the tracker store that remembers the updates seen
        and records undelivered replies; without one (tests) updates are remembered in
        memory.
        """
        incoming = parse_update(update, self.verify)
        if incoming is None:
            return "ignored"
        store = getattr(agent, "tracker_store", None)
        store = getattr(store, "_tracker_store", store)  # inside Rasa's FailSafeTrackerStore
        claims = store if hasattr(store, "claim_update") else self.claims
        update_id = update_id_of(update)
        if update_id is not None and not claims.claim_update(self.name(), update_id):
            logger.info("Telegram update %s was handled before, not again", update_id)
            return "duplicate"
        # the button stops spinning at once, before the bot starts answering
        answered = self.delivery.in_background(self._answer_callback(incoming))
        replies = TurnReplies()
        texts = [incoming.text]
        if incoming.text == "/restart":
            texts.append("/greet")  # a restart alone would leave the user with silence
        try:
            for text in texts:
                await on_new_message(
                    UserMessage(
                        text,
                        replies,
                        incoming.sender_id,
                        input_channel=self.name(),
                        metadata=incoming.metadata,
                    )
                )
        except Exception as error:
            logger.error(
                "Telegram update %s could not be handled: %s", update_id, type(error).__name__
            )
            if update_id is not None:
                claims.finish_update(self.name(), update_id, handled=False)
            return "failed"
        if update_id is not None:
            claims.finish_update(self.name(), update_id)
        job = self._deliver(incoming, replies.calls, agent, answered)
        if background:
            self.delivery.in_background(job)
        else:
            await job
        return "handled"

    async def _answer_callback(self, incoming: IncomingText) -> None:
        if incoming.callback_query_id:
            try:
                await self.delivery.call(
                    "answerCallbackQuery", {"callback_query_id": incoming.callback_query_id}
                )
            except Exception as error:
                logger.warning("answerCallbackQuery failed: %s", type(error).__name__)

    async def _deliver(
        self,
        incoming: IncomingText,
        calls: list[tuple[str, dict[str, Any]]],
        agent: Any,
        answered: asyncio.Task,
    ) -> None:
        await answered
        failed = await self.delivery.send(chat_id_of(incoming.sender_id), calls)
        if failed:
            await record_undelivered(agent, incoming.sender_id, failed)

    @property
    def delivery(self) -> Delivery:
        if self._delivery is None:
            self._delivery = Delivery(self.get_output_channel())
        return self._delivery

    async def start(self) -> None:
        """Check the token once (not per update) and register the webhook if configured."""
        out = self.get_output_channel()
        try:
            me = await out.request("getMe")
        except Exception as error:
            logger.warning("Telegram getMe failed (%s): is the token right?", error)
            return
        username = me.get("username", "")
        if self.verify and username.lower() != self.verify.lower():
            logger.warning(
                "TELEGRAM_BOT_NAME is %r but the token belongs to %r", self.verify, username
            )
        self.verify = self.verify or username
        if not self.webhook_url:
            logger.info("Telegram channel on for @%s (no webhook URL: use polling)", username)
            return
        try:
            await out.request(
                "setWebhook",
                {
                    "url": self.webhook_url,
                    "secret_token": self.secret_token,
                    "allowed_updates": json.dumps(ALLOWED_UPDATES),
                },
            )
            logger.info("Telegram webhook for @%s set to %s", username, self.webhook_url)
        except Exception as error:
            logger.error("Telegram setWebhook to %s failed: %s", self.webhook_url, error)

    async def close(self) -> None:
        if self._delivery is not None:
            await self._delivery.drain()
        if self._out is not None:
            # the HTTP session; aiogram's Bot.close() is deprecated for Bot API's `close`
            await self._out.session.close()

    def secret_matches(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode(), self.secret_token.encode())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram = guard(Blueprint("project_telegram_webhook", __name__))

        if not self.enabled:
            logger.warning("Telegram channel off: %s (see README, Telegram).", self.disabled_reason)

            @telegram.route("/", methods=["GET"])
            async def health_off(_: Request) -> HTTPResponse:
                return response.json({"status": "disabled", "reason": self.disabled_reason})

            @telegram.route("/webhook", methods=["GET", "POST"])
            async def webhook_off(_: Request) -> HTTPResponse:
                return response.json({"error": "Telegram channel is off"}, status=503)

            return telegram

        @telegram.listener("before_server_start")
        async def start(_app: Any, _loop: Any) -> None:
            await self.start()

        @telegram.listener("after_server_stop")
        async def stop(_app: Any, _loop: Any) -> None:
            await self.close()

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.secret_matches(request):
                return response.json({"error": "wrong or missing secret token"}, status=403)
            try:
                update = json.loads(request.body or b"null")
            except (ValueError, RecursionError):  # too deep a nesting is a RecursionError
                return response.json({"error": "body is not JSON"}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            outcome = await self.handle_update(update, on_new_message, agent)
            if outcome == "failed":  # Telegram sends it again later; it is handled then
                return response.json({"error": "try again later"}, status=503)
            return response.json({"ok": True})

        return telegram
