"""Small HTTP helpers for talking to a running bot."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

WEBHOOK = "/webhooks/rest/webhook"


def request(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """(status, decoded JSON or text) of a GET, or a POST when there is a body."""
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def say(base_url: str, sender: str, text: str) -> list[dict]:
    """Send one message through the REST channel; the bot's replies."""
    status, replies = request(
        base_url + WEBHOOK, json.dumps({"sender": sender, "message": text}).encode()
    )
    assert status == 200, (status, replies)
    return replies


def reply_text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)
