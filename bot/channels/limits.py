"""Limits at the door of the server, set by every channel of the project.

Sanic reads a request body of up to ``REQUEST_MAX_SIZE`` (100 MB by default) before any
route runs, so 24 clients with 95 MB bodies take gigabytes without any credentials.
Each channel's blueprint sets the limit when the server starts (the connections, which
read it, come after); a body over it is refused with 413 from its Content-Length, or
as soon as a chunked one passes it, on every route, before it is read whole.

``BOT_MAX_BODY_BYTES`` in the environment sets it (default 1,000,000 bytes: a message
of the length limit takes 8 kB at most).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge

logger = logging.getLogger(__name__)

MAX_BODY_ENV = "BOT_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 1_000_000


def max_body_bytes(env: dict[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        value = int(env.get(MAX_BODY_ENV, "") or DEFAULT_MAX_BODY_BYTES)
    except ValueError:
        logger.warning("%s is not a number; using %d", MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES)
        return DEFAULT_MAX_BODY_BYTES
    return max(1024, value)


def apply_limits(app: Any) -> None:
    """The body limit on the whole app, and no message text in its logs."""
    from bot.log_privacy import install

    limit = max_body_bytes()
    app.config.REQUEST_MAX_SIZE = limit

    def too_large(_request: Any, _error: Exception) -> Any:
        # the REST channel's shape of an error, on every route
        return response.json({"error": f"request body larger than {limit} bytes"}, status=413)

    app.error_handler.add(PayloadTooLarge, too_large)
    install()


def guard(blueprint: Blueprint) -> Blueprint:
    """Have ``blueprint`` apply the limits when the server starts."""

    @blueprint.listener("before_server_start")
    async def limits(app: Any, _loop: Any) -> None:
        apply_limits(app)

    return blueprint
