"""An in-memory tracker store that keeps event objects instead of JSON.

Rasa's ``InMemoryTrackerStore`` serialises every tracker to JSON on save and parses
it back on every message; parsing looks each event's class up by walking all Event
subclasses, so a reply cost grows with the length of the conversation (about 20 ms
a message on this machine after a few turns, the largest single cost). This store
keeps the list of events and replays it into a fresh tracker, which is what Rasa's
deserialisation ends with anyway.

Used by ``python -m bench.inprocess``, or in an endpoints file::

    tracker_store:
      type: bench.memory_store.EventListTrackerStore

Like Rasa's in-memory store it forgets everything on restart: for measuring the
dialogue side apart from a store's cost, not for serving.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import (
    DialogueStateTracker,
    get_trackers_for_conversation_sessions,
)


class EventListTrackerStore(InMemoryTrackerStore):
    """Conversations in memory, as lists of events (no JSON round trip)."""

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's url; there is none
        super().__init__(domain, event_broker, **kwargs)
        self.events: dict[str, list[Event]] = {}

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        # A new list: later changes to the tracker never reach the stored state.
        self.events[tracker.sender_id] = list(tracker.events)

    async def keys(self) -> Iterable[str]:
        return self.events.keys()

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> DialogueStateTracker | None:
        events = self.events.get(sender_id)
        if events is None:
            return None
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue(sender_id, list(events)))
        if fetch_all_sessions:
            return tracker
        # only the last session, as Rasa's stores do
        sessions = get_trackers_for_conversation_sessions(tracker)
        return tracker if len(sessions) <= 1 else sessions[-1]
