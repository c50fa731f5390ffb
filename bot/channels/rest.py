"""Rasa's REST channel with its input checked: a malformed request gets a 400, not a 500.

Rasa's ``RestInput`` calls ``request.json.get(...)`` on whatever arrives: a JSON list
or string body is a 500, a missing ``sender`` puts every such user into one shared
conversation called "default", a number as ``message`` crashes the NLU pipeline, and
a failure is logged together with the user's message. This channel answers on the
same URL (``/webhooks/rest/webhook``) and

- accepts only a UTF-8 JSON object with a non-empty string ``sender`` (at most
  ``MAX_SENDER_LENGTH`` characters), a string ``message`` and, optionally, an object
  ``metadata``; anything else gets ``400 {"error": ...}``, a too big body ``413``;
- answers a failure while handling the message with ``503`` and an apology, and logs
  only the error's type, never the message.

Message length is limited for every channel in the NLU pipeline (bot/nlu/message_limit.py).
Enabled in credentials.yml as ``bot.channels.rest.CheckedRestInput:``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

# the tracker stores keep sender ids in a VARCHAR(255)
MAX_SENDER_LENGTH = 128
# far above any message the length limit lets through; refuses only abuse
MAX_BODY_BYTES = 1_000_000
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
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"request body larger than {MAX_BODY_BYTES} bytes")
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


class CheckedRestInput(InputChannel):
    """REST webhook that validates requests and never answers 500."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                incoming = parse_body(request.body or b"")
            except BadRequest as error:
                status = 413 if len(request.body or b"") > MAX_BODY_BYTES else 400
                return response.json({"error": str(error)}, status=status)

            collector = CollectingOutputChannel()
            message = UserMessage(
                incoming.text,
                collector,
                incoming.sender,
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
            return response.json(collector.messages)

        return webhook
