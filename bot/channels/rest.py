"""Rasa's REST channel with its input checked: a malformed request gets a 400, not a 500.

Rasa's ``RestInput`` calls ``request.json.get(...)`` on whatever arrives: a JSON list
or string body is a 500, a missing ``sender`` puts every such user into one shared
conversation called "default", a number as ``message`` crashes the NLU pipeline, a
failure is logged together with the user's message, and anyone who can reach it can
name any conversation. This channel answers on the same URL (``/webhooks/rest/webhook``)
and

- is meant for trusted callers: with ``BOT_REST_TOKEN`` in the environment every
  request needs ``Authorization: Bearer <token>`` (401 otherwise); without it only
  requests from the loopback address are answered (403 otherwise), as one log line
  says at start-up;
- keeps its conversations under ``rest:<sender>`` (``bot/channels/identity.py``):
  a REST sender never reaches a Telegram chat's or a widget session's conversation;
- accepts only a UTF-8 JSON object with a non-empty string ``sender`` (at most
  ``MAX_SENDER_LENGTH`` characters), a string ``message`` and, optionally, an object
  ``metadata``; anything else gets ``400 {"error": ...}``, a too big body ``413``;
- refuses a body over ``BOT_MAX_BODY_BYTES`` (``bot/channels/limits.py``) before
  reading it;
- answers a failure while handling the message with ``503`` and an apology, and logs
  only the error's type, never the message.

Message length is limited for every channel in the NLU pipeline (bot/nlu/message_limit.py).
Enabled in credentials.yml as ``bot.channels.rest.CheckedRestInput:``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.identity import MAX_IDENTITY_LENGTH, conversation_key, identity_of
from bot.channels.limits import guard, max_body_bytes

logger = logging.getLogger(__name__)

MAX_SENDER_LENGTH = MAX_IDENTITY_LENGTH
TOKEN_ENV = "BOT_REST_TOKEN"
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


class BadRequest(ValueError):
    """The request is malformed; the message says why, for the client."""


@dataclass(frozen=True)
class IncomingMessage:
    sender: str
    text: str
    metadata: dict[str, Any] | None


def parse_body(body: bytes) -> IncomingMessage:
    """Check a webhook body and extract the message, or raise ``BadRequest``."""
    limit = max_body_bytes()
    if len(body) > limit:
        raise BadRequest(f"request body larger than {limit} bytes")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise BadRequest("request body is not valid UTF-8") from error
    except (ValueError, RecursionError) as error:  # too deep a nesting is a RecursionError
        raise BadRequest("request body is not valid JSON") from error
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_LENGTH:
        raise BadRequest(f"'sender' must be at most {MAX_SENDER_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in sender):
        raise BadRequest("'sender' must not contain control characters")
    if not isinstance(text, str):
        raise BadRequest("'message' must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    return IncomingMessage(sender, text, metadata)


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return (mapped or ip).is_loopback


def refusal(request: Request, token: str) -> HTTPResponse | None:
    """The answer to a caller the channel does not trust, or None for a trusted one."""
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return None
        return response.json({"error": "missing or wrong bearer token"}, status=401)
    # the socket's peer, not a header a client can write
    if is_loopback(request.conn_info.client_ip if request.conn_info else ""):
        return None
    return response.json({"error": "the REST channel answers only on loopback"}, status=403)


class CheckedRestInput(InputChannel):
    """REST webhook for trusted callers that validates requests and never answers 500."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, token: str | None = None) -> None:
        self.token = os.environ.get(TOKEN_ENV, "") if token is None else token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = guard(Blueprint(f"custom_webhook_{type(self).__name__}", __name__))
        if self.token:
            logger.info("REST channel: every request needs the bearer token of %s", TOKEN_ENV)
        else:
            logger.info("REST channel: %s is not set, answering loopback callers only", TOKEN_ENV)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = refusal(request, self.token)
            if refused is not None:
                return refused
            try:
                incoming = parse_body(request.body or b"")
            except BadRequest as error:
                status = 413 if len(request.body or b"") > max_body_bytes() else 400
                return response.json({"error": str(error)}, status=status)

            collector = CollectingOutputChannel()
            message = UserMessage(
                incoming.text,
                collector,
                conversation_key(self.name(), incoming.sender),
                input_channel=self.name(),
                metadata=incoming.metadata,
            )
            try:
                await on_new_message(message)
            except Exception as error:
                # never the message text: people tell this bot private things
                logger.error(f"Could not handle a REST message: {type(error).__name__}")
                return response.json(
                    [{"recipient_id": incoming.sender, "text": APOLOGY}], status=503
                )
            # the caller knows its conversation by its own sender id
            for reply in collector.messages:
                reply["recipient_id"] = identity_of(reply.get("recipient_id", ""), self.name())
            return response.json(collector.messages)

        return webhook
