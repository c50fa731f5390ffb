"""An in-memory tracker store that keeps event objects instead of JSON.

Rasa's ``InMemoryTrackerStore`` serialises every tracker to JSON on save and parses
it back on every message; parsing looks each event's class up by walking all Event
subclasses, so a reply cost grows with the length of the conversation (about 20 ms
a message on this machine after a few turns, the largest single cost). This store
keeps the list of events and replays it into a fresh tracker, which is what Rasa's
deserialisation ends with anyway.

Enabled in endpoints.yml::

    tracker_store:
      type: bot.tracker_store.EventListTrackerStore

Like Rasa's in-memory store it forgets everything on restart; a persistent store
(SQL, Redis) replaces it where conversations must survive one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
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


# --- on disk (issue 5) -------------------------------------------------------
# The SQL tracker store of the bot: conversations on disk, and erasable on request.
#
# Rasa's ``SQLTrackerStore`` with two additions:
#
# - for SQLite, the database's folder is created when missing (``var/`` is gitignored),
#   so a fresh clone keeps its conversations on disk from the first message;
# - a person's conversation can be erased: ``delete(sender_id)`` removes every event of
#   that sender, and a turn whose message was the ``forget`` intent (typed ``/forget``)
#   erases the conversation instead of storing it. ``python -m bot.forget`` does the
#   same from the command line.
#
# The same class serves PostgreSQL (endpoints.scale.yml). Enabled in endpoints.yml::
#
#     tracker_store:
#       type: bot.tracker_store.BotSQLTrackerStore
#       dialect: sqlite
#       db: var/tracker.db


logger = logging.getLogger(__name__)

FORGET_INTENT = "forget"


def asks_to_forget(tracker: DialogueStateTracker) -> bool:
    """Whether the latest user message of the tracker asked to erase the conversation."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return event.intent_name == FORGET_INTENT
    return False


class BotSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that creates its SQLite folder and can erase a sender."""

    def __init__(self, dialect: str = "sqlite", db: str = "var/tracker.db", **kwargs: Any) -> None:
        if dialect == "sqlite" and db and db != ":memory:":
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        super().__init__(dialect=dialect, db=db, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if asks_to_forget(tracker):
            deleted = self.delete(tracker.sender_id)
            logger.info(f"Erased a conversation on request ({deleted} events).")
            return
        await super().save(tracker)

    def delete(self, sender_id: str) -> int:
        """Delete every stored event of ``sender_id``; returns how many were deleted."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return int(deleted)
