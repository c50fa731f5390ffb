"""bot.speedups.policies predict what Rasa's RulePolicy and MemoizationPolicy predict, for less.

Both are loaded from the trained model's resources, ours and Rasa's classes side by side,
and asked for the next action at every action of every story, rule and test story.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from rasa.core.policies import memoization, rule_policy
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.graph_components.providers.rule_only_provider import RuleOnlyDataProvider
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

import bot.speedups.policies
from bot.speedups.dialogue_states import PAST_STATES
from tests.support.stories import project_trackers

pytestmark = pytest.mark.slow


class Loaded:
    """Policies and rule-only data of a trained model, loaded as Rasa loads them."""

    def __init__(self, model: Path, directory: Path) -> None:
        self.storage, metadata = LocalModelStorage.from_model_archive(directory, model)
        self.schema = metadata.predict_schema
        self.context = ExecutionContext(self.schema, metadata.model_id)
        self.domain: Domain = metadata.domain

    def load(self, node_class: type, as_class: type | None = None):
        [node] = [n for n in self.schema.nodes.values() if n.uses is node_class]
        cls = as_class or node_class
        config = {**cls.get_default_config(), **node.config}  # as rasa.engine.graph does
        return cls.load(config, self.storage, node.resource, self.context)


@pytest.fixture(scope="module")
def loaded(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return Loaded(trained_model, tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def trackers() -> list[DialogueStateTracker]:
    return project_trackers()[1]


def prediction_points(
    trackers: list[DialogueStateTracker], domain: Domain
) -> Iterator[DialogueStateTracker]:
    """Each tracker grown event by event, given before each action (as `rasa test` does)."""
    for story in trackers:
        partial = DialogueStateTracker(story.sender_id, domain.slots)
        for event in story.events:
            if isinstance(event, ActionExecuted) and partial.events:
                yield partial
            partial.update(event)


def test_config_uses_these_policies(loaded: Loaded) -> None:
    uses = {node.uses for node in loaded.schema.nodes.values()}
    assert {bot.speedups.policies.RulePolicy, bot.speedups.policies.MemoizationPolicy} <= uses
    assert not {rule_policy.RulePolicy, memoization.MemoizationPolicy} & uses


def test_same_predictions_as_rasas_policies(loaded: Loaded, trackers) -> None:
    pairs = [
        (loaded.load(ours), loaded.load(ours, rasas))
        for ours, rasas in [
            (bot.speedups.policies.RulePolicy, rule_policy.RulePolicy),
            (bot.speedups.policies.MemoizationPolicy, memoization.MemoizationPolicy),
        ]
    ]
    rule_only = loaded.load(RuleOnlyDataProvider).provide()
    domain = loaded.domain
    predicted = 0
    for tracker in prediction_points(trackers, domain):
        for ours, rasas in pairs:
            expected = rasas.predict_action_probabilities(tracker, domain, rule_only)
            got = ours.predict_action_probabilities(tracker, domain, rule_only)
            assert got == expected, f"{type(ours).__name__} on {tracker.sender_id}"
            predicted += expected.max_confidence > 0
    assert predicted > 100


def test_same_rule_keys_as_rasas_search(loaded: Loaded, trackers) -> None:
    ours = loaded.load(bot.speedups.policies.RulePolicy)
    rasas = loaded.load(bot.speedups.policies.RulePolicy, rule_policy.RulePolicy)
    rules = rasas.lookup["rules"]
    rule_only = rasas._get_rule_only_data()
    found = 0
    for tracker in prediction_points(trackers, loaded.domain):
        for use_text in (True, False):
            states = rasas._prediction_states(tracker, loaded.domain, use_text, rule_only)
            for end in range(len(states) + 1):  # also the shorter histories
                expected = rasas._get_possible_keys(rules, states[:end])
                assert ours._get_possible_keys(rules, states[:end]) == expected
                found += bool(expected) and len(expected) < len(rules)
    assert found > 100


def test_one_replay_per_conversation_for_both_policies(loaded: Loaded, trackers) -> None:
    policies = [
        loaded.load(bot.speedups.policies.RulePolicy),
        loaded.load(bot.speedups.policies.MemoizationPolicy),
    ]
    rule_only = loaded.load(RuleOnlyDataProvider).provide()
    PAST_STATES.clear()
    before = PAST_STATES.replays_from_start
    for tracker in prediction_points(trackers, loaded.domain):
        for policy in policies:
            policy.predict_action_probabilities(tracker, loaded.domain, rule_only)
    assert PAST_STATES.replays_from_start - before == len(trackers)


@pytest.fixture
def structlog_at_debug() -> Iterator[None]:
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        yield
    finally:
        structlog.configure(**saved)


def test_debug_logging_is_detected(structlog_at_debug) -> None:
    assert bot.speedups.policies.structlog_debug_enabled()
    states = [{"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}]
    assert "user intent: greet" in bot.speedups.policies.RulePolicy.format_tracker_states(states)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    assert not bot.speedups.policies.structlog_debug_enabled()
    assert bot.speedups.policies.RulePolicy.format_tracker_states(states) == ""
