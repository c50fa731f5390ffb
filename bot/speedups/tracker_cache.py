"""The trackers a server process saved last, kept for its next message (issue 4).

Rasa's SQL tracker store reads every event of a conversation back from the database
and replays it on each message, and counts the stored events again before each save:
the largest cost of a reply. ``BotSQLTrackerStore`` keeps the tracker object it saved
here instead, and hands it out again only when one cheap query shows the database
still holds exactly the rows it saved (their number and highest id; ids are never
reused). Another replica's message or an erasure by another process changes one of
them, so a stale tracker is never used; anything unexpected just falls back to the
database.

This module is only the bookkeeping: a bounded LRU map from sender id to what was
saved. The store decides when an entry may be used.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass
class Saved:
    """A tracker as its last save left it, and the database rows that save expects."""

    tracker: DialogueStateTracker
    rows: int  # the sender's rows in the database after the save
    max_id: int | None  # their highest id
    events: int  # how many of the tracker's events are stored (all, right after a save)
    last_event: Event | None  # the last stored event: the tracker was not rewritten
    handed_out: bool = False  # given to a caller who has not saved it back yet

    def unchanged(self) -> bool:
        """Whether the tracker holds exactly the saved events (no unsaved turn)."""
        return len(self.tracker.events) == self.events and self.continues(self.tracker)

    def continues(self, tracker: DialogueStateTracker) -> bool:
        """Whether ``tracker`` is this one with events only appended since the save."""
        events = tracker.events
        if tracker is not self.tracker or events.maxlen is not None or len(events) < self.events:
            return False
        return self.events == 0 or events[self.events - 1] is self.last_event


class TrackerCache:
    """At most ``size`` conversations holding at most ``max_events`` events in all (about
    1.3 kB each here); the least recently used conversation goes first."""

    def __init__(self, size: int, max_events: int) -> None:
        self.size, self.max_events = size, max_events
        self.events = 0  # of all entries
        self._entries: OrderedDict[str, Saved] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, sender_id: object) -> bool:
        return sender_id in self._entries

    def get(self, sender_id: str) -> Saved | None:
        entry = self._entries.get(sender_id)
        if entry is not None:
            self._entries.move_to_end(sender_id)
        return entry

    def put(self, sender_id: str, entry: Saved) -> None:
        self.discard(sender_id)
        self._entries[sender_id] = entry
        self.events += entry.events
        while self._entries and (len(self._entries) > self.size or self.events > self.max_events):
            _, oldest = self._entries.popitem(last=False)
            self.events -= oldest.events

    def discard(self, sender_id: str) -> None:
        entry = self._entries.pop(sender_id, None)
        if entry is not None:
            self.events -= entry.events

    def clear(self) -> None:
        self._entries.clear()
        self.events = 0


def last_session_start(events: Iterable[Event]) -> float | None:
    """The latest ``SessionStarted`` timestamp: where Rasa's SQL store starts a tracker."""
    starts = [e.timestamp for e in events if e.type_name == SessionStarted.type_name]
    return max((t for t in starts if t is not None), default=None)


def before_last_session(events: Iterable[Event]) -> bool:
    """Whether some events fall outside the last session as Rasa's SQL query selects it
    (``timestamp >= the latest SessionStarted``), so a retrieve would not return them."""
    start = last_session_start(events)
    return start is not None and any(e.timestamp is None or e.timestamp < start for e in events)
