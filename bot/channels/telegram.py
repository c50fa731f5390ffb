"""The project's Telegram channel: Rasa's, with what it lacks for real use.

Rasa 3.6's ``rasa.core.channels.telegram`` calls ``getMe`` on every update, trusts any
POST to its webhook, always talks to api.telegram.org, fails with 500 on updates that
carry no message, never answers callback queries (buttons keep spinning) and mixes
everyone in a group chat into one conversation. This channel keeps its output channel
(an aiogram 2 ``Bot``) and replaces the rest.

Registered in credentials.yml by module path::

    bot.channels.telegram.TelegramInput:

Every setting left out there is read from the environment (``TELEGRAM_TOKEN``,
``TELEGRAM_BOT_NAME``, ``TELEGRAM_WEBHOOK_URL``, ``TELEGRAM_SECRET_TOKEN``,
``TELEGRAM_API_URL``); without a token the channel switches itself off, so
``rasa run`` still serves the other channels.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.utils.exceptions import TelegramAPIError, ValidationError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# setWebhook accepts 1-256 characters of A-Z, a-z, 0-9, _ and -
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Only these reach the bot; the rest are answered 200 and dropped.
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_TEXT = 4096  # Telegram's limit per message
MAX_CALLBACK_DATA = 64  # bytes

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
    """The chat a sender id lives in: group senders are ``<chat>:<user>``."""
    return str(recipient_id).split(":", 1)[0]


class TelegramOutput(RasaTelegramOutput):
    """Rasa's output channel, talking to a configurable Bot API server."""

    def __init__(self, access_token: str, api_url: str = DEFAULT_API_URL) -> None:
        # skip RasaTelegramOutput.__init__: it cannot pass the server URL on
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # one response, one message (Rasa's splits at every blank line)
        for part in split_text(text):
            await self.send_message(chat_id_of(recipient_id), part)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_photo(chat_id_of(recipient_id), image)

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
        for part in parts[:-1]:
            await self.send_message(chat_id_of(recipient_id), part)
        markup = json.dumps({"inline_keyboard": inline_keyboard(buttons, button_type)})
        await self.request(
            "sendMessage",
            {"chat_id": chat_id_of(recipient_id), "text": parts[-1], "reply_markup": markup},
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        json_message = {"chat_id": chat_id_of(recipient_id), **json_message}
        await super().send_custom_json(recipient_id, json_message, **kwargs)


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


def parse_update(update: Any, bot_name: str = "") -> IncomingText | None:
    """The user's text in an update, or None for anything the bot should not answer."""
    if not isinstance(update, dict):
        return None
    if isinstance(update.get("callback_query"), dict):
        query = update["callback_query"]
        user = query.get("from") or {}
        chat = (query.get("message") or {}).get("chat") or {}
        data = query.get("data")
        if not user.get("id") or not isinstance(data, str):
            return None
        chat = chat or {"id": user["id"], "type": "private"}
        return IncomingText(
            sender_id(chat, user),
            data,
            metadata(update, chat, user),
            callback_query_id=str(query.get("id") or ""),
        )
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return None  # stickers, photos, edits, channel posts, membership changes...
    chat = message.get("chat") or {}
    if not chat.get("id"):
        return None
    user = message.get("from") or {}
    text = command_to_text(message["text"], bot_name)
    if not text:
        return None
    return IncomingText(sender_id(chat, user), text, metadata(update, chat, user))


def sender_id(chat: dict[str, Any], user: dict[str, Any]) -> str:
    """One conversation per user: in groups the chat alone would mix everyone."""
    if chat.get("type") in ("group", "supergroup") and user.get("id"):
        return f"{chat['id']}:{user['id']}"
    return str(chat["id"])


def metadata(update: dict, chat: dict, user: dict) -> dict[str, Any]:
    return {
        "telegram": {
            "update_id": update.get("update_id"),
            "chat_id": chat.get("id"),
            "chat_type": chat.get("type"),
            "user_id": user.get("id"),
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

    async def handle_update(self, update: Any, on_new_message: OnNewMessage) -> bool:
        """Hand one update to the bot; True when it carried something to answer.

        Errors are logged, never raised: Telegram would resend the update forever.
        """
        incoming = parse_update(update, self.verify)
        if incoming is None:
            logger.debug("Telegram update without a message, ignored: %s", str(update)[:200])
            return False
        out = self.get_output_channel()
        if incoming.callback_query_id:
            try:  # first, so the button stops spinning even if the bot is slow
                await out.request(
                    "answerCallbackQuery", {"callback_query_id": incoming.callback_query_id}
                )
            except TelegramAPIError as error:
                logger.warning("answerCallbackQuery failed: %s", error)
        texts = [incoming.text]
        if incoming.text == "/restart":
            texts.append("/greet")  # a restart alone would leave the user with silence
        try:
            for text in texts:
                await on_new_message(
                    UserMessage(
                        text,
                        out,
                        incoming.sender_id,
                        input_channel=self.name(),
                        metadata=incoming.metadata,
                    )
                )
        except Exception:
            logger.exception("Telegram update %s could not be handled", update.get("update_id"))
        return True

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
        if self._out is not None:
            # the HTTP session; aiogram's Bot.close() is deprecated for Bot API's `close`
            await self._out.session.close()

    def secret_matches(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode(), self.secret_token.encode())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram = Blueprint("project_telegram_webhook", __name__)

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
            except ValueError:
                return response.json({"error": "body is not JSON"}, status=400)
            await self.handle_update(update, on_new_message)
            return response.json({"ok": True})

        return telegram
