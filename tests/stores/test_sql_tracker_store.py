"""The SQL tracker store with its cache gives what Rasa's SQL store gives (issue 4).

Every check compares with ``rasa.core.tracker_store.SQLTrackerStore`` reading the same
SQLite file; a second ``BotSQLTrackerStore`` on that file plays another replica or the
``python -m bot.cli.forget`` process.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import numpy
import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.cli import migrate
from bot.paths import ROOT
from bot.stores.migrations import MigrationNeeded, needs_autoincrement
from bot.stores.tracker_store import FORGET_INTENT, BotSQLTrackerStore, deserialise_events

_clock = itertools.count(1_700_000_000)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "tracker.db"


def run(coroutine):
    return asyncio.run(coroutine)


def stamped(*events: Event) -> list[Event]:
    """The events with increasing timestamps, as the processor gives them."""
    for event in events:
        event.timestamp = float(next(_clock))
    return list(events)


def session_start() -> list[Event]:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ]


def user_turn(text: str, intent: str = "partner_cries_with_me") -> list[Event]:
    return [
        UserUttered(text, {"name": intent, "confidence": 1.0}),
        SlotSet("partner", "wife"),
        ActionExecuted("utter_reasons_crying_with_me"),
        BotUttered("They cry with you."),
        ActionExecuted("action_listen"),
    ]


def turn(
    store: BotSQLTrackerStore, sender: str, *events: Event, stamp: bool = True
) -> DialogueStateTracker:
    """One message as Rasa's processor handles it: get or create, update, save."""

    async def go() -> DialogueStateTracker:
        tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
        new = stamped(*events) if stamp else list(events)
        tracker.update_with_events(new, store.domain, override_timestamp=False)
        await store.save(tracker)
        return tracker

    return run(go())


def rasa_view(db: Path, domain: Domain, sender: str, full: bool = False):
    """What Rasa's own SQL store reads from the file."""
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(db))
    try:
        return run(store.retrieve_full_tracker(sender) if full else store.retrieve(sender))
    finally:
        store.engine.dispose()


def same(got: DialogueStateTracker | None, want: DialogueStateTracker | None) -> None:
    assert (got is None) == (want is None)
    if got is None:
        return
    assert [e.as_dict() for e in got.events] == [e.as_dict() for e in want.events]
    assert got.current_state(EventVerbosity.ALL) == want.current_state(EventVerbosity.ALL)


@pytest.fixture
def store(db: Path, domain: Domain) -> Iterator[BotSQLTrackerStore]:
    store = BotSQLTrackerStore(domain=domain, db=str(db))
    yield store
    store.engine.dispose()


@pytest.fixture
def replica(db: Path, domain: Domain, store: BotSQLTrackerStore) -> Iterator[BotSQLTrackerStore]:
    other = BotSQLTrackerStore(domain=domain, db=str(db))
    yield other
    other.engine.dispose()


def test_a_cache_hit_is_the_conversation_rasa_reads(store, db, domain):
    turn(store, "u1", *session_start(), *user_turn("my wife cries when i cry"))
    last = turn(store, "u1", *user_turn("what can i do"))
    hit = run(store.retrieve("u1"))
    assert hit is last  # from memory, no replay
    same(hit, rasa_view(db, domain, "u1"))
    same(run(store.retrieve_full_tracker("u1")), rasa_view(db, domain, "u1", full=True))


def test_a_new_session_hands_out_only_the_last_session(store, db, domain):
    turn(store, "u2", *session_start(), *user_turn("my wife cries when i cry"))
    turn(store, "u2", *session_start(), *user_turn("hi again"))
    hit = run(store.retrieve("u2"))
    same(hit, rasa_view(db, domain, "u2"))
    assert [e.text for e in hit.events if isinstance(e, UserUttered)] == ["hi again"]
    same(run(store.retrieve_full_tracker("u2")), rasa_view(db, domain, "u2", full=True))
    # the trimmed tracker goes on from memory
    after = turn(store, "u2", *user_turn("and then?"))
    assert run(store.retrieve("u2")) is after
    same(after, rasa_view(db, domain, "u2"))


def test_every_way_stores_the_same_rows(tmp_path, domain):
    """Ours with and without the cache store what Rasa's store stores."""
    turns = [
        [*session_start(), *user_turn("hello")],
        user_turn("my wife cries when i cry"),
        [*session_start(), *user_turn("a new session")],
        user_turn("what can i do"),
    ]

    def rows(store) -> list[tuple]:
        sender = f"rows-{id(store)}"
        for events in turns:
            copies = (Event.from_parameters(e.as_dict()) for e in events)
            turn(store, sender, *copies, stamp=False)
        with store.engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT type_name, timestamp, intent_name, action_name, data FROM events"
                    " WHERE sender_id = :s ORDER BY id"
                ),
                {"s": sender},
            ).all()

    stamped(*itertools.chain.from_iterable(turns))
    stores = [
        SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "rasa.db")),
        BotSQLTrackerStore(domain=domain, db=str(tmp_path / "nocache.db"), cache_size=0),
        BotSQLTrackerStore(domain=domain, db=str(tmp_path / "cache.db")),
    ]
    want, *got = [rows(s) for s in stores]
    assert len(want) == sum(map(len, turns))
    assert got == [want, want]


def test_another_replica_appending_invalidates(store, replica, db, domain):
    turn(store, "u3", *session_start(), *user_turn("my wife cries when i cry"))
    turn(replica, "u3", *user_turn("what can i do"))  # the other server's message
    got = run(store.retrieve("u3"))
    same(got, rasa_view(db, domain, "u3"))
    assert [e.text for e in got.events if isinstance(e, UserUttered)][-1] == "what can i do"
    # and from then on this store follows on from the database
    turn(store, "u3", *user_turn("thanks"))
    same(run(store.retrieve("u3")), rasa_view(db, domain, "u3"))


def test_an_erasure_elsewhere_invalidates(store, replica, db, domain):
    turn(store, "u4", *session_start(), *user_turn("my husband cried when we broke up"))
    assert replica.delete("u4") > 0  # as `python -m bot.cli.forget` in another process
    assert run(store.retrieve("u4")) is None
    turn(store, "u5", *session_start(), *user_turn("hello"))
    with sqlite3.connect(db) as raw:  # any other writer
        raw.execute("DELETE FROM events WHERE sender_id = 'u5'")
    assert run(store.retrieve("u5")) is None


def test_erased_and_rewritten_to_the_same_count_still_invalidates(store, replica, db, domain):
    """Ids are never reused (SQLite AUTOINCREMENT): same row count, higher id."""
    events = [*session_start(), *user_turn("my husband cried when we broke up")]
    turn(store, "u6", *events)
    before = store._stored("u6")
    replica.delete("u6")  # the newest rows of the table: plain SQLite would reuse the ids
    turn(replica, "u6", *session_start(), *user_turn("a different person"))
    after = store._stored("u6")
    assert after[0] == before[0] and after[1] > before[1]
    got = run(store.retrieve("u6"))
    same(got, rasa_view(db, domain, "u6"))
    assert [e.text for e in got.events if isinstance(e, UserUttered)] == ["a different person"]


def test_a_table_without_autoincrement_is_migrated_on_request_keeping_every_row(db, domain):
    db.parent.mkdir()
    rasa_store = SQLTrackerStore(domain, dialect="sqlite", db=str(db))
    tracker = rasa_store.init_tracker("old")
    tracker.update_with_events(stamped(*session_start(), *user_turn("hi")), domain)
    run(rasa_store.save(tracker))
    rasa_store.engine.dispose()
    with sqlite3.connect(db) as raw:
        before = raw.execute("SELECT * FROM events ORDER BY id").fetchall()
        assert "AUTOINCREMENT" not in raw.execute("SELECT sql FROM sqlite_master").fetchone()[0]

    with pytest.raises(MigrationNeeded, match="make migrate"):
        BotSQLTrackerStore(domain=domain, db=str(db))
    endpoints = db.parent / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: x\n  dialect: sqlite\n  db: {db}\n")
    assert migrate.main(["--endpoints", str(endpoints)]) == 0
    store = BotSQLTrackerStore(domain=domain, db=str(db))
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT * FROM events ORDER BY id").fetchall() == before
        schema = dict(raw.execute("SELECT name, sql FROM sqlite_master").fetchall())
    assert "AUTOINCREMENT" in schema["events"] and "ix_events_sender_id" in schema
    store.delete("old")
    turn(store, "new", *session_start())
    assert store._stored("new")[1] > before[-1][0]  # the erased ids are not given again
    same(run(store.retrieve("new")), rasa_view(db, domain, "new"))
    store.engine.dispose()
    assert migrate.main(["--endpoints", str(endpoints)]) == 0  # nothing left to do
    assert not needs_autoincrement(store.engine, BotSQLTrackerStore.SQLEvent.__table__)


def test_the_cache_keeps_at_most_its_size(db, domain):
    store = BotSQLTrackerStore(domain=domain, db=str(db), cache_size=3)
    for i in range(10):
        turn(store, f"s{i}", *session_start(), *user_turn(f"message {i}"))
    assert len(store.cache) == 3
    assert all(f"s{i}" in store.cache for i in (7, 8, 9))
    same(run(store.retrieve("s0")), rasa_view(db, domain, "s0"))  # from the database
    assert len(store.cache) == 3
    store.engine.dispose()
    # and at most `cache_events` events: 8 a conversation here
    store = BotSQLTrackerStore(domain=domain, db=str(db), cache_events=20)
    for i in range(10):
        turn(store, f"e{i}", *session_start(), *user_turn(f"message {i}"))
    assert len(store.cache) == 2 and store.cache.events == 16
    longer = turn(store, "e9", *user_turn("more"), *user_turn("and more"))
    assert len(longer.events) > 12  # with the other one's 8, over 20: it leaves
    assert list(store.cache._entries) == ["e9"] and store.cache.events == len(longer.events)
    store.cache.discard("e9")
    assert store.cache.events == 0
    store.engine.dispose()


def test_a_failed_turn_falls_back_to_the_database(store, db, domain):
    turn(store, "u7", *session_start(), *user_turn("my wife cries when i cry"))
    held = run(store.retrieve("u7"))
    held.update(UserUttered("never saved", {"name": "greet"}))  # the turn then fails
    again = run(store.retrieve("u7"))
    assert again is not held
    same(again, rasa_view(db, domain, "u7"))
    # a turn that saved once (as Rasa's create_tracker does), changed it, then failed
    saved = turn(store, "u7b", *session_start())
    saved.update(UserUttered("never saved", {"name": "greet"}))
    again = run(store.retrieve("u7b"))
    assert again is not saved
    same(again, rasa_view(db, domain, "u7b"))


def test_an_empty_saved_tracker_is_no_conversation(store, db, domain):
    run(store.create_tracker("empty", append_action_listen=False))  # nothing to store
    assert run(store.retrieve("empty")) is None and rasa_view(db, domain, "empty") is None


def test_a_tracker_is_handed_out_once_until_saved(store, db, domain):
    turn(store, "u8", *session_start(), *user_turn("my wife cries when i cry"))
    first, second = run(store.retrieve("u8")), run(store.retrieve("u8"))
    assert first is not second
    same(first, second)


def test_forget_erases_and_leaves_nothing_in_memory(store, db, domain):
    turn(store, "u9", *session_start(), *user_turn("my husband cried when we broke up"))
    turn(store, "u9", *user_turn("/forget", intent=FORGET_INTENT))
    assert "u9" not in store.cache
    assert rasa_view(db, domain, "u9") is None and run(store.retrieve("u9")) is None


class Collecting(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def test_an_event_broker_gets_each_new_event_once_as_from_rasa(tmp_path, domain):
    turns = [[*session_start(), *user_turn("hi")], user_turn("more"), user_turn("and more")]
    stamped(*itertools.chain.from_iterable(turns))
    rasas, ours = Collecting(), Collecting()
    stores = [
        SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "r.db"), event_broker=rasas),
        BotSQLTrackerStore(domain=domain, db=str(tmp_path / "o.db"), event_broker=ours),
    ]
    for store in stores:
        for events in turns:
            turn(store, "b1", *(Event.from_parameters(e.as_dict()) for e in events), stamp=False)
    assert len(ours.published) == sum(map(len, turns))
    assert ours.published == rasas.published


def test_sqlite_keeps_one_connection_in_wal_mode(store, db):
    connects = []
    sa.event.listen(store.engine, "connect", lambda *_: connects.append(1))
    store.engine.dispose()
    for i in range(5):
        turn(store, "u10", *session_start(), *user_turn(f"message {i}"))
        run(store.retrieve("u10"))
        run(store.retrieve_full_tracker("u10"))
    assert len(connects) == 1
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_the_table_is_rasas(store):
    ours, rasas = store.SQLEvent.__table__, SQLTrackerStore.SQLEvent.__table__
    assert ours.name == rasas.name

    def describe(c: sa.Column) -> tuple:
        return c.name, str(c.type), c.nullable, c.primary_key, c.index

    assert [describe(c) for c in ours.columns] == [describe(c) for c in rasas.columns]


def test_events_deserialise_as_rasa_does(store, domain):
    events = stamped(*session_start(), *user_turn("my wife cries when i cry"))
    dicts = [e.as_dict() for e in events] + [{"no": "event"}]
    from rasa.shared.core.events import deserialise_events as rasas

    assert [e.as_dict() for e in deserialise_events(dicts)] == [e.as_dict() for e in rasas(dicts)]
    with pytest.raises(ValueError):
        deserialise_events([{"event": "no_such_event"}])


@pytest.mark.slow
def test_the_bot_answers_the_same_with_every_store(agent, event_loop_session, tmp_path):
    """Whole conversations through the trained bot: Rasa's SQL store and ours without
    and with the cache give the same replies; ours store the same events."""
    from bench.loadgen import load_conversations

    messages = [m for c in load_conversations()[:4] for m in c] + ["/forget", "hi", "thanks"]
    stores = [
        SQLTrackerStore(agent.domain, dialect="sqlite", db=str(tmp_path / "rasa.db")),
        BotSQLTrackerStore(domain=agent.domain, db=str(tmp_path / "nocache.db"), cache_size=0),
        BotSQLTrackerStore(domain=agent.domain, db=str(tmp_path / "cache.db")),
    ]
    reads: list[str] = []  # database reads of the cached store
    cached = stores[2]
    read = cached._retrieve

    async def counted(sender_id: str, fetch_events_from_all_sessions: bool):
        reads.append(sender_id)
        return await read(sender_id, fetch_events_from_all_sessions)

    cached._retrieve = counted
    before = agent.tracker_store
    replies: list[list[list[str]]] = [[] for _ in stores]
    try:
        for number, text in enumerate(messages):
            for store, got in zip(stores, replies, strict=True):
                agent.tracker_store = agent.processor.tracker_store = store
                numpy.random.seed(number)  # the same pick among a response's variations
                answer = event_loop_session.run_until_complete(
                    agent.handle_text(text, sender_id="same")
                )
                got.append([m.get("text") or "" for m in answer])
    finally:
        agent.tracker_store = agent.processor.tracker_store = before
    assert replies[1] == replies[0] and replies[2] == replies[0]
    assert any("erased" in " ".join(turn) for turn in replies[0])
    # the first message and the first after the erasure find nothing; the rest is memory
    assert len(reads) == 2

    def stored(store) -> list[tuple]:
        with store.engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT type_name, intent_name, action_name FROM events ORDER BY id")
            ).all()

    # Rasa's store knows no /forget: it kept everything; ours kept what followed it
    rasa_rows, without_cache, with_cache = [stored(s) for s in stores]
    assert with_cache == without_cache
    assert [r[1] for r in without_cache if r[0] == "user"] == ["greet", "thank"]
    assert len(rasa_rows) > len(without_cache)


def rows_per_sender(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as raw:
        return dict(raw.execute("SELECT sender_id, count(*) FROM events GROUP BY sender_id"))


def test_conversations_of_an_earlier_version_are_keyed_by_their_channel(db, domain):
    store = BotSQLTrackerStore(domain=domain, db=str(db))
    for sender, channel in [("995001", "telegram"), ("alice", "rest"), ("abc", "socketio")]:
        intent = {"name": "partner_cries_with_me"}
        user = UserUttered("my wife cries", intent, input_channel=channel)
        turn(store, sender, *session_start(), user, ActionExecuted("action_listen"))
    shell = UserUttered("hi", {"name": "greet"}, input_channel="cmdline")
    turn(store, "shell-1", *session_start(), shell)
    turn(store, "rest:bob", *session_start(), *user_turn("hi"))
    turn(store, "telegram:7", *session_start())  # begun after the upgrade: kept
    user = UserUttered("hello", {"name": "greet"}, input_channel="telegram")
    turn(store, "7", *session_start(), user)
    before = rows_per_sender(db)
    store.engine.dispose()

    endpoints = db.parent / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: x\n  dialect: sqlite\n  db: {db}\n")
    assert migrate.main(["--endpoints", str(endpoints)]) == 0
    after = rows_per_sender(db)
    assert after == {
        "telegram:995001": before["995001"],
        "rest:alice": before["alice"],
        "socketio:abc": before["abc"],
        "shell-1": before["shell-1"],  # rasa shell's own channel: not one of ours
        "rest:bob": before["rest:bob"],
        "telegram:7": before["telegram:7"],
        "7": before["7"],  # its new key is taken
    }
    store = BotSQLTrackerStore(domain=domain, db=str(db))
    tracker = run(store.retrieve("telegram:995001"))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["my wife cries"]
    assert migrate.main(["--endpoints", str(endpoints)]) == 0  # nothing left to do
    assert rows_per_sender(db) == after


def test_a_long_message_is_stored_as_nlu_read_it(db, domain):
    store = BotSQLTrackerStore(domain=domain, db=str(db))
    text = "my wife cries " * 1000
    parse = {"text": text[:2000], "intent": {"name": "message_too_long", "confidence": 1.0}}
    turn(store, "long", *session_start(), UserUttered(text, parse["intent"], parse_data=parse))
    store.engine.dispose()
    with sqlite3.connect(db) as raw:
        [(data,)] = raw.execute("SELECT data FROM events WHERE type_name = 'user'").fetchall()
    assert len(data) < 5000 and json.loads(data)["text"] == text[:2000]


def test_update_claims_once_and_again_after_an_interrupted_one(db, domain, monkeypatch):
    store = BotSQLTrackerStore(domain=domain, db=str(db))
    assert store.claim_update("telegram", 1)
    assert not store.claim_update("telegram", 1)  # handled by someone now
    assert store.claim_update("other", 1)  # another channel's numbers
    store.finish_update("telegram", 1)
    monkeypatch.setattr(time, "time", lambda: 10**11)  # much later
    assert not store.claim_update("telegram", 1)  # done: never again
    assert store.claim_update("telegram", 2)
    monkeypatch.setattr(time, "time", lambda: 10**11 + 3600)
    assert store.claim_update("telegram", 2)  # claimed an hour ago, never finished: again
    store.finish_update("telegram", 2, handled=False)
    assert store.claim_update("telegram", 2)  # released: handled when it comes again
