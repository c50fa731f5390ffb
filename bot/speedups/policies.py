"""Rasa's RulePolicy and MemoizationPolicy with less work per predicted action.

Same training, same lookups, same predictions; config.yml names them
``bot.speedups.policies.RulePolicy`` and ``bot.speedups.policies.MemoizationPolicy``.
What they skip:

- replaying the whole conversation for every prediction: the past states come from
  ``bot.speedups.dialogue_states.PAST_STATES``, which both policies share and which replays only
  the events added since the last prediction;
- matching every rule against the conversation: rules whose last state names another
  previous action or intent than the present state are dropped at once (Rasa's check
  would reject them), and the search stops past the longest rule left, since a rule of
  n states is only checked against the last n states;
- formatting and deep-copying states for debug log lines that are filtered out: Rasa
  builds their arguments before the logger drops them.

The classes keep Rasa's names because Rasa reads them: predictions are labelled
``policy_0_RulePolicy`` in the tracker, ``rasa test`` counts memorised predictions by
that suffix, and the training log says "Restored component 'RulePolicy'". Registering
them replaces Rasa's entries of the same names in the recipe's registry of the process
that imports this module (only ``rasa train`` of this project looks them up there). Rasa's
recipe validator compares classes by identity, so training warns that "'RulePolicy' is
not included": it is, as this subclass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from rasa.core.policies import memoization, rule_policy
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

from bot.speedups.dialogue_states import PAST_STATES

_QUIET_DEBUG = structlog.make_filtering_bound_logger(logging.CRITICAL).debug


def structlog_debug_enabled() -> bool:
    """Whether Rasa's structlog ``debug`` calls log anything (not with `rasa run`'s INFO)."""
    wrapper = structlog.get_config().get("wrapper_class")
    return getattr(wrapper, "debug", None) is not _QUIET_DEBUG


class _SharedPastStates:
    """What the featurizer reads of a tracker: its past states, from ``PAST_STATES``."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self._tracker = tracker

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        return PAST_STATES.past_states(
            self._tracker, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)


class _SharedStatesPolicy:
    """Mixed into a Rasa policy: its prediction states come from ``PAST_STATES``."""

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        return super()._prediction_states(  # type: ignore[misc]
            _SharedPastStates(tracker),  # type: ignore[arg-type]
            domain,
            use_text_for_last_user_input,
            rule_only_data,
        )


def _required(state: State, sub_state: str, key: str) -> str | None:
    """The value a rule state requires of the conversation, where it requires one."""
    value = state.get(sub_state, {}).get(key)
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else None


@dataclass(frozen=True)
class _RuleIndex:
    """Rule keys by the previous action and intent their last state requires.

    ``RulePolicy._is_rule_applicable(key, 0, state)`` is False when the rule's last state
    has a previous action and the present state has another previous action or
    another intent than the ones it names; ``None`` collects the keys that name none.
    """

    keys: frozenset[str]
    by_action: dict[str | None, frozenset[str]]
    by_intent: dict[str | None, frozenset[str]]

    @classmethod
    def build(cls, keys: Iterable[str], states_of: Callable[[str], list[State]]) -> _RuleIndex:
        by_action: dict[str | None, set[str]] = {None: set()}
        by_intent: dict[str | None, set[str]] = {None: set()}
        for key in keys:
            rule_states = states_of(key)
            last = rule_states[-1] if rule_states else {}
            checked = bool(last.get(PREVIOUS_ACTION))  # else a start state: no match done
            action = _required(last, PREVIOUS_ACTION, ACTION_NAME) if checked else None
            intent = _required(last, USER, INTENT) if checked else None
            by_action.setdefault(action, set()).add(key)
            by_intent.setdefault(intent, set()).add(key)
        return cls(
            frozenset(keys),
            {k: frozenset(v) for k, v in by_action.items()},
            {k: frozenset(v) for k, v in by_intent.items()},
        )

    def candidates(self, state: State) -> frozenset[str]:
        """The keys that may apply to ``state`` as the present state."""
        action = state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
        intent = state.get(USER, {}).get(INTENT)
        none: frozenset[str] = frozenset()
        return (self.by_action.get(action, none) | self.by_action[None]) & (
            self.by_intent.get(intent, none) | self.by_intent[None]
        )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RulePolicy(_SharedStatesPolicy, rule_policy.RulePolicy):
    """Rasa's RulePolicy with shared past states and a shorter rule search."""

    def _get_possible_keys(self, lookup: dict[str, str], states: list[State]) -> set[str]:
        # Rasa's loop over the states from the present backwards, on the index's
        # candidates only, and stopped once every key left is shorter than the distance
        # from the present (`_is_rule_applicable` is then always True).
        possible_keys = set(lookup.keys())
        if states:
            possible_keys &= self._index(lookup).candidates(states[-1])
        longest = self._longest_rule(possible_keys)
        for i, state in enumerate(reversed(states)):
            if i >= longest:
                break
            possible_keys = {
                key for key in possible_keys if self._is_rule_applicable(key, i, state)
            }
            longest = self._longest_rule(possible_keys)
        return possible_keys

    def _longest_rule(self, keys: set[str]) -> int:
        return max((len(self._rule_key_to_state(key)) for key in keys), default=0)

    def _index(self, lookup: dict[str, str]) -> _RuleIndex:
        indexes: dict[int, _RuleIndex] = self.__dict__.setdefault("_rule_indexes", {})
        index = indexes.get(id(lookup))
        if index is None or index.keys != lookup.keys():  # lookups change while training
            index = indexes[id(lookup)] = _RuleIndex.build(lookup, self._rule_key_to_state)
        return index

    @staticmethod
    def format_tracker_states(states: list[dict]) -> str:
        # only read by a structlog debug call
        if not structlog_debug_enabled():
            return ""
        return rule_policy.RulePolicy.format_tracker_states(states)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class MemoizationPolicy(_SharedStatesPolicy, memoization.MemoizationPolicy):
    """Rasa's MemoizationPolicy with shared past states."""

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if structlog_debug_enabled():
            return super().predict_action_probabilities(tracker, domain, rule_only_data, **kwargs)
        # Rasa's method without its deep copy of the states for a debug line
        result = self._default_predictions(domain)
        states = self._prediction_states(tracker, domain, rule_only_data=rule_only_data)
        action = self.recall(states, tracker, domain, rule_only_data=rule_only_data)
        if action is not None:
            memoization.logger.debug(f"There is a memorised next action '{action}'")
            result = self._prediction_result(action, tracker, domain)
        else:
            memoization.logger.debug("There is no memorised next action")
        return self._prediction(result)
