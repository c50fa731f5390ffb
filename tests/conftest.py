"""Shared fixtures: one trained model per test session, and an in-process agent."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.paths import MODELS, ROOT
from bot.testing.rest import use_a_token

# Intents that only a `/forget` payload or bot.nlu.message_limit set, never NLU: giving
# them NLU examples would let a misread message erase a conversation.
NLU_LESS_INTENTS = frozenset({"forget", "message_too_long"})

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# every server the tests start has a REST token, and bot.testing.rest sends it
use_a_token()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the trained model is slow, whether it says so or not."""
    for item in items:
        if "trained_model" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def rasa_command(*args: str) -> list[str]:
    """`rasa ...` run with this interpreter, so tests use the project's venv."""
    return [sys.executable, "-m", "rasa", *args]


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The latest model, trained first unless nothing it reads changed (bot.cli.train)."""
    from bot.nlu.spacy_pipeline import DEFAULT_PATH, build

    build(ROOT / DEFAULT_PATH)
    train = [sys.executable, "-m", "bot.cli.train", "--out", str(MODELS)]
    subprocess.run(train, cwd=ROOT, check=True)
    from rasa.model import get_latest_model

    latest = get_latest_model(str(MODELS))
    assert latest, "rasa train produced no model"
    return Path(latest)


@pytest.fixture(scope="session")
def event_loop_session() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def agent(trained_model: Path, event_loop_session: asyncio.AbstractEventLoop):
    """The trained bot in process, answering as the server does."""
    from bot.testing.agent import load_project_agent, project_endpoints

    endpoints = project_endpoints()
    endpoints.tracker_store = None  # in memory: tests must not touch a store on disk
    return load_project_agent(trained_model, event_loop_session, endpoints)


class Conversation:
    """Send messages to the in-process agent as one user; read the replies."""

    def __init__(self, agent, loop: asyncio.AbstractEventLoop) -> None:
        self.agent, self.loop = agent, loop
        self.sender = f"test-{uuid.uuid4().hex}"

    def say(self, text: str) -> list[dict]:
        return self.loop.run_until_complete(self.agent.handle_text(text, sender_id=self.sender))

    def texts(self, text: str) -> str:
        """All reply texts of one turn, joined: what the user reads."""
        return "\n".join(m.get("text", "") for m in self.say(text))

    def last_turn_actions(self) -> list[str]:
        """The responses the bot gave to the latest message, in order."""
        actions: list[str] = []
        for event in reversed(self.tracker().events):
            if event.type_name == "user":
                break
            if event.type_name == "bot":
                actions.append(event.metadata.get("utter_action"))
        return actions[::-1]

    def tracker(self):
        return self.loop.run_until_complete(self.agent.tracker_store.retrieve(self.sender))


@pytest.fixture
def conversation(agent, event_loop_session) -> Conversation:
    return Conversation(agent, event_loop_session)
