"""SequentialGraphRunner: the trained graph without dask, with dask's results."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy
import pytest
import yaml
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

from bot.paths import ROOT
from bot.speedups.graph_runner import SequentialGraphRunner
from bot.testing.agent import load_project_agent, project_endpoints
from bot.testing.nlu_data import load_examples

TEXTS = [text for text, _ in load_examples()] + ["", "  ", "x" * 3000]
PLACEHOLDERS = frozenset({PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER})
CONVERSATIONS = yaml.safe_load((ROOT / "bench/conversations.yml").read_text())["conversations"]


@pytest.fixture(scope="module")
def dask_agent(trained_model: Path, event_loop_session: asyncio.AbstractEventLoop):
    endpoints = project_endpoints()
    endpoints.tracker_store = None  # in memory, as the `agent` fixture's
    return load_project_agent(trained_model, event_loop_session, endpoints, DaskGraphRunner)


def test_the_served_agent_runs_without_dask(agent) -> None:
    assert type(agent.processor.graph_runner) is SequentialGraphRunner


def test_every_parse_is_dasks(agent, dask_agent, event_loop_session) -> None:
    for text in TEXTS:
        ours = event_loop_session.run_until_complete(agent.parse_message(text))
        rasas = event_loop_session.run_until_complete(dask_agent.parse_message(text))
        assert ours == rasas, text


# what differs between any two runs: when, and the ids of the message and the model
RUN_SPECIFIC = frozenset({"timestamp", "message_id", "model_id"})


def _scrubbed(value: object) -> object:
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items() if k not in RUN_SPECIFIC}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def _events(agent, sender: str, loop: asyncio.AbstractEventLoop) -> list:
    tracker = loop.run_until_complete(agent.tracker_store.retrieve(sender))
    return [_scrubbed(event.as_dict()) for event in tracker.events]


def test_every_conversation_is_dasks(agent, dask_agent, event_loop_session) -> None:
    # replies, and every event (intents, actions, policies, confidences) on the tracker;
    # each agent its own sender, since the policies keep per-sender state (bot/speedups/policies.py)
    def say(which, text: str, sender: str) -> list[dict]:
        numpy.random.seed(len(text))  # the same choice among a response's variations
        replies = event_loop_session.run_until_complete(which.handle_text(text, sender_id=sender))
        return [{k: v for k, v in reply.items() if k != "recipient_id"} for reply in replies]

    for number, turns in enumerate(CONVERSATIONS):
        ours, rasas = f"runner-{number}-ours", f"runner-{number}-dask"
        for text in turns:
            assert say(agent, text, ours) == say(dask_agent, text, rasas), text
        assert _events(agent, ours, event_loop_session) == _events(
            dask_agent, rasas, event_loop_session
        )


def test_each_node_runs_once_after_what_it_needs(agent) -> None:
    runner = agent.processor.graph_runner
    targets = tuple(runner._graph_schema.target_names)
    plan = runner._plan(targets, PLACEHOLDERS)
    names = [name for name, _ in plan]
    assert len(names) == len(set(names))
    for position, (_, needs) in enumerate(plan):
        earlier = set(names[:position]) | PLACEHOLDERS
        assert set(needs) <= earlier
    assert set(targets) <= set(names)


def test_an_unknown_target_is_a_graph_run_error(agent) -> None:
    with pytest.raises(GraphRunError, match="no_such_node"):
        agent.processor.graph_runner.run(inputs={}, targets=["no_such_node"])


def test_an_input_under_a_node_name_replaces_the_node(agent) -> None:
    runner = agent.processor.graph_runner
    node = next(n for n in runner._graph_schema.nodes if n.startswith("run_FallbackClassifier"))
    result = runner.run(inputs={node: ["given"]}, targets=[node])
    assert result == {node: ["given"]}


def test_the_speed_ups_answer_through_the_sequential_runner() -> None:
    # what the server (scripts/run-server.sh) and `make chat` start, bot.cli.rasa,
    # installs the speed-ups before Rasa starts
    import rasa.core.processor

    from bot.speedups import install

    install()
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
