"""The SQL tracker store of the bot: conversations on disk, erasable on request, and
cheap per message.

Rasa's ``SQLTrackerStore`` with these changes:

- for SQLite, the database's folder is created when missing (``var/`` is gitignored),
  and the engine keeps one connection in WAL mode (``bot/stores/sqlite_engine.py``);
- a person's conversation can be erased: ``delete(sender_id)`` removes every event of
  that sender, and a turn whose message was the ``forget`` intent (typed ``/forget``)
  erases the conversation instead of storing it. ``python -m bot.cli.forget`` does the
  same from the command line;
- the tracker saved last for each conversation stays in memory
  (``bot/speedups/tracker_cache.py``) and is handed out again when one query shows the
  database holds what it saved: no re-reading and replaying of events, and no counting
  of stored events before a save.
  Every save is committed before it returns, so a killed server loses nothing;
- events read from the database are rebuilt without Rasa's search of every Event
  subclass per event;
- erasure leaves nothing: on SQLite the rows are deleted with ``secure_delete`` on (their
  bytes overwritten with zeros) and the write-ahead log is checkpointed and truncated,
  so the text is in neither the database file nor its ``-wal``;
- a user message is stored as NLU read it: cut to the length limit of config.yml
  (``bot/nlu/message_limit.py`` cuts the parse data's text), not the full text sent;
- ``claim_update(channel, update_id)``: each update of a channel that numbers them
  (Telegram) is handled once, across restarts and replicas (table ``channel_updates``).

The same class serves PostgreSQL (endpoints.scale.yml). Enabled in endpoints.yml::

    tracker_store:
      type: bot.stores.tracker_store.BotSQLTrackerStore
      dialect: sqlite
      db: var/tracker.db
      cache_size: 1000      # conversations kept in memory (0: none)
      cache_events: 100000  # and events in all
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses
from sqlalchemy.orm import DeclarativeMeta, declarative_base

from bot.speedups.tracker_cache import Saved, TrackerCache, before_last_session, last_session_start
from bot.stores.migrations import MigrationNeeded, needs_autoincrement
from bot.stores.sqlite_engine import checkpoint_wal, is_sqlite_file, pooled_engine

logger = logging.getLogger(__name__)

FORGET_INTENT = "forget"
# at most this many conversations and events in memory (about 1.3 kB an event: 40 kB
# for a conversation of 5 messages): 130 MB at most
DEFAULT_CACHE_SIZE = 1000
DEFAULT_CACHE_EVENTS = 100_000
# a claimed update not marked done after this long was interrupted (a killed server):
# its redelivery is handled again; a turn takes well under a second
STALE_CLAIM_SECONDS = 60.0
# Telegram gives up on an update after 24 hours; claims are kept a week
KEEP_CLAIMS_SECONDS = 7 * 24 * 3600.0


def asks_to_forget(tracker: DialogueStateTracker) -> bool:
    """Whether the latest user message of the tracker asked to erase the conversation."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return event.intent_name == FORGET_INTENT
    return False


_EVENT_CLASSES: dict[str, type[Event]] = {}


def deserialise_events(dicts: Iterable[dict[str, Any]]) -> list[Event]:
    """``rasa.shared.core.events.deserialise_events`` with the class of each event name
    looked up once, not by walking every Event subclass for every event."""
    events = []
    for data in dicts:
        name = data.get("event")
        if name is None:
            continue
        cls = _EVENT_CLASSES.get(name)
        if cls is None:  # first use, or a class imported since: the same first match
            for subclass in all_subclasses(Event):
                _EVENT_CLASSES.setdefault(subclass.type_name, subclass)
            cls = _EVENT_CLASSES.get(name)
        # an unknown name: Rasa decides (None for a legacy "topic", else an error)
        event = cls._from_parameters(data) if cls else Event.from_parameters(data)
        if event is not None:
            events.append(event)
    return events


def _event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The ``events`` row of one event, as Rasa's ``SQLTrackerStore.save`` writes it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def store_as_read(event: Event) -> None:
    """A user message keeps only the text NLU read (cut by the length limit)."""
    if isinstance(event, UserUttered) and event.text:
        read = (event.parse_data or {}).get("text")
        if isinstance(read, str) and len(read) < len(event.text):
            event.text = read


class _Statements:
    """The store's statements, built once; each takes the sender id as ``sender``."""

    def __init__(self, events: sa.Table) -> None:
        sender = sa.bindparam("sender")
        mine = events.c.sender_id == sender
        other = events.alias("others")
        theirs = other.c.sender_id == sender
        start = (  # the latest SessionStarted: where Rasa's retrieve starts a tracker
            sa.select(sa.func.max(other.c.timestamp))
            .where(theirs, other.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_last_session = sa.or_(events.c.timestamp >= start, start.is_(None))
        rows = sa.select(sa.func.count()).where(theirs).scalar_subquery()
        top = sa.select(sa.func.max(other.c.id)).where(theirs).scalar_subquery()

        self.stored = sa.select(sa.func.count(), sa.func.max(events.c.id)).where(mine)
        self.max_id = sa.select(sa.func.max(events.c.id)).where(mine)
        self.all_sessions = sa.select(events.c.data, rows, top).where(mine).order_by(events.c.id)
        self.last_session = self.all_sessions.where(in_last_session)
        # the events of the last session (Rasa's `_additional_events`), all, highest id
        self.before_save = sa.select(
            sa.func.count(sa.case((in_last_session, 1))),
            sa.func.count(),
            sa.func.max(events.c.id),
        ).where(mine)
        self.insert = events.insert()
        self.delete = events.delete().where(mine)


class BotSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that erases on request and keeps its latest trackers in memory."""

    Base: DeclarativeMeta = declarative_base()

    class SQLEvent(Base):
        """Rasa's ``events`` table, column for column; on SQLite with ``AUTOINCREMENT``
        (see ``bot/stores/sqlite_engine.py``)."""

        __tablename__ = "events"
        __table_args__ = {"sqlite_autoincrement": True}

        id = sa.Column(sa.Integer, sa.Sequence("events_seq", optional=True), primary_key=True)
        sender_id = sa.Column(sa.String(255), nullable=False, index=True)
        type_name = sa.Column(sa.String(255), nullable=False)
        timestamp = sa.Column(sa.Float)
        intent_name = sa.Column(sa.String(255))
        action_name = sa.Column(sa.String(255))
        data = sa.Column(sa.Text)

    class ChannelUpdate(Base):
        """An update a channel received, claimed before it is handled."""

        __tablename__ = "channel_updates"

        channel = sa.Column(sa.String(32), primary_key=True)
        update_id = sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
        claimed_at = sa.Column(sa.Float, nullable=False)
        done = sa.Column(sa.Boolean, nullable=False, default=False)

    def __init__(
        self,
        dialect: str = "sqlite",
        db: str = "var/tracker.db",
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_events: int = DEFAULT_CACHE_EVENTS,
        **kwargs: Any,
    ) -> None:
        if dialect == "sqlite" and db and db != ":memory:":
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        super().__init__(dialect=dialect, db=db, **kwargs)
        if is_sqlite_file(self.engine):
            if needs_autoincrement(self.engine, self.SQLEvent.__table__):
                self.engine.dispose()
                raise MigrationNeeded(
                    f"{db} was made by Rasa's own tracker store, whose row ids can be given "
                    "twice; update it once with `make migrate` (python -m bot.cli.migrate)"
                )
            self.engine.dispose()
            self.engine = pooled_engine(self.engine.url)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self.cache = TrackerCache(int(cache_size), int(cache_events))
        self._sql = _Statements(self.SQLEvent.__table__)

    # -- reading -------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The last session of the conversation, from memory when still current."""
        cached = self._from_cache(sender_id)
        if cached is not None:
            return cached
        return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)

    def _from_cache(self, sender_id: str) -> DialogueStateTracker | None:
        saved = self.cache.get(sender_id)
        # held by a caller, or changed after its save (a turn that failed): not usable
        if saved is None or saved.handed_out or not saved.unchanged() or not self.domain:
            return None
        if saved.rows == 0:  # an empty tracker was saved: the database has nothing
            return None
        if self._stored(sender_id) != (saved.rows, saved.max_id):
            self.cache.discard(sender_id)  # another process wrote or erased
            return None
        tracker = saved.tracker
        if before_last_session(tracker.events):
            # Rasa's query starts at the latest SessionStarted, without the
            # action_session_start just before it and any earlier session: the same here
            start = last_session_start(tracker.events)
            events = [e for e in tracker.events if e.timestamp is not None and e.timestamp >= start]
            tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
            saved = Saved(tracker, saved.rows, saved.max_id, len(events), events[-1])
            self.cache.put(sender_id, saved)
        else:
            # as on a tracker read from the database; the processor sets them again
            tracker.model_id = tracker.assistant_id = None
        saved.handed_out = True
        return tracker

    def _stored(self, sender_id: str) -> tuple[int, int | None]:
        """How many rows the sender has, and their highest id."""
        with self.engine.connect() as connection:
            rows, max_id = connection.execute(self._sql.stored, {"sender": sender_id}).one()
        return int(rows), max_id

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's query, plus the sender's row count and highest id in the same
        statement (one snapshot) to remember the tracker by."""
        query = self._sql.all_sessions if fetch_events_from_all_sessions else self._sql.last_session
        with self.engine.connect() as connection:
            result = connection.execute(query, {"sender": sender_id}).all()
        if not self.domain or not result:
            return None
        tracker = DialogueStateTracker.from_events(
            sender_id, deserialise_events(json.loads(r[0]) for r in result), self.domain.slots
        )
        if not fetch_events_from_all_sessions and tracker.events:
            _, count, max_id = result[0]
            saved = Saved(tracker, int(count), max_id, len(tracker.events), tracker.events[-1])
            saved.handed_out = True
            self.cache.put(sender_id, saved)
        return tracker

    # -- writing -------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, committed before this returns."""
        sender_id = tracker.sender_id
        for event in tracker.events:
            store_as_read(event)
        if asks_to_forget(tracker):
            deleted = self.delete(sender_id)
            logger.info(f"Erased a conversation on request ({deleted} events).")
            return
        saved = self.cache.get(sender_id)
        known = saved is not None and saved.continues(tracker)
        if self.event_broker is not None:
            if known:
                new = list(itertools.islice(tracker.events, saved.events, None))
                await self._stream_new_events(self.event_broker, new, sender_id)
            else:
                await self.stream_events(tracker)
        sender = {"sender": sender_id}
        with self.engine.begin() as connection:
            if known:
                first, rows, max_id = saved.events, saved.rows, saved.max_id
            else:
                # as Rasa: what is not yet stored follows the stored last session
                first, rows, max_id = connection.execute(self._sql.before_save, sender).one()
            new_rows = [
                _event_row(sender_id, e) for e in itertools.islice(tracker.events, first, None)
            ]
            if new_rows:
                connection.execute(self._sql.insert, new_rows)
                max_id = connection.execute(self._sql.max_id, sender).scalar()
        # remembered only when the database holds exactly this tracker's events: a
        # continuation of a remembered one, or a conversation that had no rows before
        if (known or rows == 0) and tracker.events.maxlen is None:
            last = tracker.events[-1] if tracker.events else None
            self.cache.put(
                sender_id, Saved(tracker, rows + len(new_rows), max_id, len(tracker.events), last)
            )
        else:
            self.cache.discard(sender_id)
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")

    def delete(self, sender_id: str) -> int:
        """Delete every stored event of ``sender_id``; returns how many were deleted.

        On SQLite the deleted bytes are overwritten (``secure_delete``, set on every
        connection) and the write-ahead log is copied into the file and truncated, so
        no page of the conversation is left in the ``-wal`` either.
        """
        self.cache.discard(sender_id)
        with self.engine.begin() as connection:
            result = connection.execute(self._sql.delete, {"sender": sender_id})
        if is_sqlite_file(self.engine):
            checkpoint_wal(self.engine)
        return int(result.rowcount)

    # -- updates of channels that number them ------------------------------------------

    def claim_update(self, channel: str, update_id: int) -> bool:
        """True when this update is to be handled now: never seen, or claimed long ago by
        a server that did not finish (killed). False for a duplicate."""
        table = self.ChannelUpdate.__table__
        now = time.time()
        key = (table.c.channel == channel) & (table.c.update_id == update_id)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    table.insert(), {"channel": channel, "update_id": update_id, "claimed_at": now}
                )
            if update_id % 1000 == 0:  # now and then, forget what Telegram no longer sends
                self._forget_claims_before(now - KEEP_CLAIMS_SECONDS)
            return True
        except sa.exc.IntegrityError:
            pass
        with self.engine.begin() as connection:  # one winner among replicas
            taken = connection.execute(
                table.update()
                .where(key, table.c.done.is_(False), table.c.claimed_at < now - STALE_CLAIM_SECONDS)
                .values(claimed_at=now)
            )
        return bool(taken.rowcount)

    def finish_update(self, channel: str, update_id: int, handled: bool = True) -> None:
        """Mark a claimed update handled, or (``handled=False``) release it to be handled
        when it comes again."""
        table = self.ChannelUpdate.__table__
        key = (table.c.channel == channel) & (table.c.update_id == update_id)
        with self.engine.begin() as connection:
            if handled:
                connection.execute(table.update().where(key).values(done=True))
            else:
                connection.execute(table.delete().where(key))

    def _forget_claims_before(self, moment: float) -> None:
        table = self.ChannelUpdate.__table__
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.claimed_at < moment))
