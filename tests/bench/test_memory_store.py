"""The event-list tracker store gives back what Rasa's in-memory store would."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bench.memory_store import EventListTrackerStore
from bot.paths import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _conversation(store, sender: str, events) -> None:
    tracker = store.init_tracker(sender)
    tracker.update_with_events(events, store.domain)
    asyncio.run(store.save(tracker))


def _events() -> list:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("my wife cries when i cry", {"name": "partner_cries_with_me"}),
        SlotSet("partner", "wife"),
        ActionExecuted("utter_reasons_crying_with_me"),
        ActionExecuted("action_listen"),
    ]


def test_round_trip_matches_rasas_in_memory_store(domain: Domain) -> None:
    ours, rasas = EventListTrackerStore(domain), InMemoryTrackerStore(domain)
    events = _events()
    for store in (ours, rasas):
        _conversation(store, "u1", events)
    got, want = (asyncio.run(s.retrieve("u1")) for s in (ours, rasas))
    assert got.current_state() == want.current_state()
    assert got.get_slot("partner") == "wife"
    assert list(asyncio.run(ours.keys())) == ["u1"]


def test_unknown_sender_is_none_and_stored_state_is_isolated(domain: Domain) -> None:
    store = EventListTrackerStore(domain)
    assert asyncio.run(store.retrieve("nobody")) is None
    _conversation(store, "u2", _events())
    tracker = asyncio.run(store.retrieve("u2"))
    tracker.update(SlotSet("partner", "husband"))  # not saved
    assert asyncio.run(store.retrieve("u2")).get_slot("partner") == "wife"


def test_retrieve_returns_only_the_last_session(domain: Domain) -> None:
    store = EventListTrackerStore(domain)
    second = [ActionExecuted("action_session_start"), SessionStarted(), UserUttered("hi")]
    _conversation(store, "u3", _events() + second)
    last = asyncio.run(store.retrieve("u3"))
    full = asyncio.run(store.retrieve_full_tracker("u3"))
    assert [e.text for e in last.events if isinstance(e, UserUttered)] == ["hi"]
    assert len(full.events) == len(_events()) + len(second)
