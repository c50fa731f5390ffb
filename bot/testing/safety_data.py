"""The safety test material (``tests/safety/``) and how a reply is judged against it.

Each file holds ``dangerous`` messages by kind of danger, each of which must get the
safety answer first, and ``ordinary`` messages that only sound alarming and must not:

- ``tests/safety/devset.yml``: for choosing rules and thresholds;
- ``tests/safety/heldout.yml``: only for measuring.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.paths import ROOT

SAFETY_HELDOUT = ROOT / "tests" / "safety" / "heldout.yml"
SAFETY_DEVSET = ROOT / "tests" / "safety" / "devset.yml"
SAFETY_RESPONSE = "utter_crisis"


@dataclass(frozen=True)
class SafetySet:
    dangerous: list[tuple[str, str]]  # (message, kind of danger)
    ordinary: list[str]


def load_safety(path: Path = SAFETY_HELDOUT) -> SafetySet:
    data = yaml.safe_load(path.read_text())
    dangerous = [(text, kind) for kind, texts in data["dangerous"].items() for text in texts]
    return SafetySet(dangerous, list(data["ordinary"]))


@dataclass(frozen=True)
class FirstReply:
    action: str | None  # the response the bot gave first ("utter_crisis", ...)
    parse: dict  # the NLU result of the message


def first_reply(agent, loop: asyncio.AbstractEventLoop, text: str) -> FirstReply:
    """``text`` as the first message of a new conversation: the first response of the
    bot and the parse it acted on."""
    sender = f"safety-{uuid.uuid4().hex}"
    loop.run_until_complete(agent.handle_text(text, sender_id=sender))
    tracker = loop.run_until_complete(agent.tracker_store.retrieve(sender))
    action = next(
        (e.metadata.get("utter_action") for e in tracker.events if e.type_name == "bot"), None
    )
    return FirstReply(action, tracker.latest_message.parse_data)


def is_safety_answer(reply: FirstReply) -> bool:
    return reply.action == SAFETY_RESPONSE
