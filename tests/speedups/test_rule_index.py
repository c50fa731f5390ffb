"""bot.speedups.policies.RulePolicy's rule search finds exactly the keys Rasa's search finds.

Random rules and conversations, over the cases the index has to get right: rules that
start a conversation (no previous action), values that must not be set, action texts,
user texts and entities, slots and loops.
"""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rasa.core.policies import rule_policy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.core.constants import SHOULD_NOT_BE_SET

from bot.speedups.policies import RulePolicy

NOT_SET = SHOULD_NOT_BE_SET


def sub_states(entities: st.SearchStrategy, slot_value: st.SearchStrategy) -> st.SearchStrategy:
    prev_action = st.one_of(
        st.sampled_from(["action_listen", "utter_a", "utter_b", NOT_SET]).map(
            lambda name: {"action_name": name}
        ),
        st.just({"action_text": "hi there"}),
    )
    user = st.one_of(
        st.sampled_from(["greet", "deny", NOT_SET]).map(lambda intent: {"intent": intent}),
        st.just({"text": "hello"}),
        entities.map(lambda e: {"intent": "greet", "entities": e}),
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "prev_action": prev_action,
            "user": user,
            "slots": slot_value.map(lambda value: {"topic": value}),
            "active_loop": st.sampled_from(["a_form", NOT_SET]).map(lambda n: {"name": n}),
        },
    )


# as rule keys hold them (JSON: lists) and as the tracker gives them (tuples)
RULE_STATE = sub_states(st.just(["partner"]), st.sampled_from([NOT_SET, [1.0, 0.0]]))
CONVERSATION_STATE = sub_states(st.just(("partner",)), st.sampled_from([NOT_SET, (1.0, 0.0)]))


def policy() -> RulePolicy:
    context = ExecutionContext(GraphSchema({}), "test")
    config = RulePolicy.get_default_config()
    return RulePolicy(config, None, None, context)  # type: ignore[arg-type]


POLICY = policy()


UNSET_ACTION = {"prev_action": {"action_name": NOT_SET}}
UNSET_INTENT = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": NOT_SET}}


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.lists(RULE_STATE, min_size=1, max_size=3), min_size=1, max_size=12),
    st.lists(CONVERSATION_STATE, max_size=6),
)
# rare cases that random rules seldom hit: values both "must not be set", start states
@example([[UNSET_ACTION]], [UNSET_ACTION])
@example([[UNSET_INTENT]], [UNSET_INTENT])
@example([[{"user": {"intent": "greet"}}]], [{"user": {"intent": "deny"}}])
def test_same_keys_as_rasas_search(rules: list[list[dict]], states: list[dict]) -> None:
    lookup = {json.dumps(rule, sort_keys=True): "utter_a" for rule in rules}
    expected = rule_policy.RulePolicy._get_possible_keys(POLICY, lookup, states)
    assert POLICY._get_possible_keys(lookup, states) == expected


def test_a_changed_lookup_is_indexed_again() -> None:
    greet = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    deny = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "deny"}}]
    lookup = {json.dumps(greet): "utter_a"}
    assert POLICY._get_possible_keys(lookup, greet) == set(lookup)
    lookup[json.dumps(deny)] = "utter_b"  # same dict, as while RulePolicy trains
    assert POLICY._get_possible_keys(lookup, deny) == {json.dumps(deny)}
