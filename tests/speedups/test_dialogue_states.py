"""bot.speedups.dialogue_states.PastStates gives exactly Rasa's past states, however a
tracker grows.

Compared with ``tracker.past_states`` (Rasa's ``states_for_tracker_history``) after every
event of every story and rule of the project, of hand-written conversations with
forms, undone turns and restarts, and of random event sequences.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.speedups.dialogue_states import PastStates
from tests.support.stories import project_trackers

NO_RULE_ONLY = {"rule_only_slots": [], "rule_only_loops": []}
# (ignore_rule_only_turns, rule_only_data): RulePolicy, MemoizationPolicy, and a form bot's
VARIANTS = [
    (False, NO_RULE_ONLY),
    (True, NO_RULE_ONLY),
    (True, None),
    (True, {"rule_only_slots": ["rule_slot"], "rule_only_loops": ["city_form"]}),
]

FORM_DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, inform, stop, affirm]
entities: [city]
slots:
  city:
    type: text
    mappings: [{type: from_entity, entity: city}]
  rule_slot:
    type: bool
    mappings: [{type: custom}]
forms:
  city_form:
    required_slots: [city]
responses:
  utter_greet: [{text: hi}]
  utter_done: [{text: ok}]
  utter_ask_city: [{text: "where?"}]
"""
)


def user(intent: str, text: str | None = None, entities: list | None = None) -> UserUttered:
    return UserUttered(text or f"/{intent}", {"name": intent, "confidence": 1.0}, entities or [])


def session_start() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), listen()]


def listen(hide_rule_turn: bool = False) -> ActionExecuted:
    return ActionExecuted("action_listen", hide_rule_turn=hide_rule_turn)


def form_conversation() -> list[Event]:
    """A form filled, an undone message, an undone action, a follow-up, hidden turns."""
    return [
        *session_start(),
        user("greet", "hello"),
        ActionExecuted("utter_greet"),
        listen(),
        user("inform"),
        ActionExecuted("city_form"),
        ActiveLoop("city_form"),
        SlotSet("requested_slot", "city"),
        listen(),
        user("greet"),
        ActionExecutionRejected("city_form"),
        ActionExecuted("utter_greet", hide_rule_turn=True),
        ActionExecuted("city_form"),
        LoopInterrupted(True),
        listen(),
        user("inform", "paris", [{"entity": "city", "value": "Paris"}]),
        ActionExecuted("city_form"),
        SlotSet("city", "Paris"),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("utter_done", hide_rule_turn=True),
        listen(hide_rule_turn=True),
        user("stop"),
        UserUtteranceReverted(),
        user("affirm"),
        ActionExecuted("utter_greet"),
        ActionReverted(),
        FollowupAction("utter_done"),
        ActionExecuted("utter_done"),
        SlotSet("rule_slot", True),
        listen(),
        user("greet"),
        Restarted(),
        *session_start(),
        user("greet"),
        ActionExecuted("utter_greet"),
        listen(),
    ]


def assert_same_states(
    cache: PastStates, tracker: DialogueStateTracker, domain: Domain, where: str
) -> None:
    for ignore, rule_only in VARIANTS:
        expected = tracker.past_states(
            domain, ignore_rule_only_turns=ignore, rule_only_data=rule_only
        )
        got = cache.past_states(tracker, domain, False, ignore, copy.deepcopy(rule_only))
        assert got == expected, f"{where}, ignore_rule_only_turns={ignore}, {rule_only}"


def grow(cache: PastStates, events: list[Event], domain: Domain, sender: str) -> None:
    """One tracker, updated event by event, as the processor does within a turn."""
    tracker = DialogueStateTracker(sender, domain.slots)
    for i, event in enumerate(events):
        tracker.update(event)
        assert_same_states(cache, tracker, domain, f"{sender}: after event {i} {event}")


def rebuild(cache: PastStates, events: list[Event], domain: Domain, sender: str) -> None:
    """A new tracker for every prefix, with the same events, as a tracker store gives."""
    for i in range(len(events) + 1):
        tracker = DialogueStateTracker.from_events(sender, events[:i], domain.slots)
        assert_same_states(cache, tracker, domain, f"{sender}: first {i} events")


@pytest.fixture(scope="module")
def project() -> tuple[Domain, list[DialogueStateTracker]]:
    return project_trackers()


def project_events(project) -> Iterator[tuple[str, list[Event]]]:
    _, trackers = project
    for tracker in trackers:
        yield tracker.sender_id, list(tracker.events)


@pytest.mark.parametrize("replay", [grow, rebuild], ids=["as_it_grows", "from_a_store"])
def test_states_of_every_story_and_rule(project, replay) -> None:
    domain, _ = project
    cache = PastStates()
    for sender, events in project_events(project):
        replay(cache, events, domain, sender)
    # each story replayed from its start once, then only extended
    assert cache.replays_from_start == len(project[1])


def test_form_conversation_with_undone_turns_and_restarts() -> None:
    events = form_conversation()
    grow(PastStates(), events, FORM_DOMAIN, "grow")
    rebuild(PastStates(), events, FORM_DOMAIN, "rebuild")


def test_events_of_a_store_that_parses_them_again() -> None:
    """Equal but new event objects: the cache must start over, not trust them."""
    cache = PastStates()
    events = form_conversation()
    with_applied_events = 0
    for i in range(len(events) + 1):
        tracker = DialogueStateTracker.from_events(
            "copies", copy.deepcopy(events[:i]), FORM_DOMAIN.slots
        )
        assert_same_states(cache, tracker, FORM_DOMAIN, f"first {i} events, copied")
        with_applied_events += bool(tracker.applied_events())
    assert cache.replays_from_start >= with_applied_events


def test_returned_states_are_copies(project) -> None:
    domain, trackers = project
    tracker = DialogueStateTracker.from_events("copies", list(trackers[0].events), domain.slots)
    cache = PastStates()
    for ignore, rule_only in VARIANTS:
        first = cache.past_states(tracker, domain, False, ignore, rule_only)
        for state in first:  # what the policies do to the states they get
            for sub_state in state.values():
                sub_state.clear()
            state.clear()
        again = cache.past_states(tracker, domain, False, ignore, rule_only)
        assert again == tracker.past_states(domain, False, ignore, rule_only)


def test_conversations_beyond_the_limit_are_dropped(project) -> None:
    domain, _ = project
    cache = PastStates(max_conversations=2)
    senders = [sender for sender, _ in project_events(project)][:3]
    for sender, events in list(project_events(project))[:3]:
        tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
        assert_same_states(cache, tracker, domain, sender)
    assert list(cache._conversations) == senders[1:]


# --- random conversations -----------------------------------------------------------

EVENT_MAKERS = [
    lambda: user("greet"),
    lambda: user("inform", "paris", [{"entity": "city", "value": "Paris"}]),
    lambda: ActionExecuted("utter_greet"),
    lambda: ActionExecuted("utter_done", hide_rule_turn=True),
    lambda: ActionExecuted("city_form"),
    lambda: listen(),
    lambda: listen(hide_rule_turn=True),
    lambda: ActiveLoop("city_form"),
    lambda: ActiveLoop(None),
    lambda: SlotSet("city", "Rome"),
    lambda: SlotSet("rule_slot", True),
    lambda: SlotSet("requested_slot", "city"),
    lambda: UserUtteranceReverted(),
    lambda: ActionReverted(),
    lambda: FollowupAction("utter_done"),
    lambda: ActionExecutionRejected("city_form"),
    lambda: LoopInterrupted(True),
    lambda: Restarted(),
    lambda: SessionStarted(),
    # these two edit the latest user message in place, also for turns already read
    lambda: DefinePrevUserUtteredFeaturization(True),
    lambda: DefinePrevUserUtteredFeaturization(False),
    lambda: EntitiesAdded([{"entity": "city", "value": "Oslo"}]),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(EVENT_MAKERS) - 1), max_size=30))
def test_random_event_sequences(choices: list[int]) -> None:
    events = [EVENT_MAKERS[i]() for i in choices]
    grow(PastStates(), events, FORM_DOMAIN, "random-grow")
    rebuild(PastStates(), events, FORM_DOMAIN, "random-rebuild")
