"""The one client of the REST channel and of Rasa's HTTP API, for tests and the bench.

With ``BOT_REST_TOKEN`` in the environment (the server's token, ``bot/channels/rest.py``)
requests to the REST channel carry it as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
from typing import Any

WEBHOOK = "/webhooks/rest/webhook"
TOKEN_ENV = "BOT_REST_TOKEN"


def use_a_token() -> str:
    """Give this process, and the servers and clients it starts, a REST token."""
    return os.environ.setdefault(TOKEN_ENV, secrets.token_urlsafe(24))


def auth_headers() -> dict[str, str]:
    """The REST channel's authorization header, when a token is set."""
    token = os.environ.get(TOKEN_ENV, "")
    return {"Authorization": f"Bearer {token}"} if token else {}


def request(
    url: str,
    body: bytes | dict | list | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, Any]:
    """(status, decoded JSON or text) of a GET, or of a POST when there is a body (a
    dict or list is sent as JSON). HTTP errors are returned, not raised."""
    headers = dict(headers or {})
    if WEBHOOK in url:
        for key, value in auth_headers().items():
            headers.setdefault(key, value)
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def say(base_url: str, sender: str, text: str, timeout: float = 60.0) -> list[dict]:
    """One turn through the REST channel: all bot messages of the turn, in order."""
    status, replies = request(
        base_url + WEBHOOK, {"sender": sender, "message": text}, timeout=timeout
    )
    assert status == 200, (status, replies)
    return replies


def reply_text(replies: list[dict]) -> str:
    """All texts of one turn, joined: what the user reads."""
    return "\n".join(r.get("text", "") for r in replies)
