"""Changes to a tracker database made before this version, run on request only.

    python -m bot.cli.migrate [--endpoints endpoints.yml]    # or: make migrate

- ``AUTOINCREMENT`` on SQLite's ``events`` table. Rasa's own store creates the table
  without it, and then SQLite gives a new row the highest id + 1, so after an erasure
  of the newest rows their ids come back; the tracker cache recognises a
  conversation's rows by their number and highest id, so ids must never be given
  twice. The rebuild keeps every row and id.

- Conversations keyed by channel (``bot/channels/identity.py``): a conversation stored
  under a bare sender id before (``995001``) is renamed to the key of the channel its
  messages came through (``telegram:995001``), on SQLite and PostgreSQL alike.

A store on a database that still needs the AUTOINCREMENT rebuild refuses to start and
says so, rather than change a file behind its operator's back; conversations under
old keys are simply not found (a new one starts) until the migration is run.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import closing

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

logger = logging.getLogger(__name__)


class MigrationNeeded(RuntimeError):
    """The database was made by an earlier version; ``make migrate`` updates it."""


def _table_sql(db: sqlite3.Connection, name: str) -> str | None:
    row = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return None if row is None else row[0]


def needs_autoincrement(engine: Engine, table: sa.Table) -> bool:
    """Whether ``table`` exists in the SQLite file without ``AUTOINCREMENT``."""
    with closing(sqlite3.connect(engine.url.database, timeout=30)) as db:
        sql = _table_sql(db, table.name)
    return sql is not None and "AUTOINCREMENT" not in sql.upper()


def ensure_autoincrement(engine: Engine, table: sa.Table) -> bool:
    """Rebuild ``table`` with ``AUTOINCREMENT`` if it was created without; True if done.

    The table must be declared with ``sqlite_autoincrement=True``. One transaction
    (``BEGIN IMMEDIATE``: no other writer meanwhile), so a crash leaves the old table.
    """
    name = table.name

    def created_with_autoincrement(db: sqlite3.Connection) -> bool:
        sql = _table_sql(db, name)
        return sql is None or "AUTOINCREMENT" in sql.upper()

    with closing(sqlite3.connect(engine.url.database, isolation_level=None, timeout=30)) as db:
        if created_with_autoincrement(db):
            return False
        db.execute("BEGIN IMMEDIATE")
        try:
            if created_with_autoincrement(db):  # another process was first
                db.execute("ROLLBACK")
                return False
            quote = engine.dialect.identifier_preparer.quote
            old = f"{name}_before_autoincrement"
            db.execute(f"ALTER TABLE {quote(name)} RENAME TO {quote(old)}")
            for index in table.indexes:
                db.execute(f"DROP INDEX IF EXISTS {quote(index.name)}")
            db.execute(str(CreateTable(table).compile(dialect=engine.dialect)))
            for index in table.indexes:
                db.execute(str(CreateIndex(index).compile(dialect=engine.dialect)))
            columns = ", ".join(quote(c.name) for c in table.columns)
            db.execute(f"INSERT INTO {quote(name)} ({columns}) SELECT {columns} FROM {quote(old)}")
            db.execute(f"DROP TABLE {quote(old)}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    logger.info(f"Rebuilt the SQLite table '{name}' with AUTOINCREMENT (ids never reused).")
    return True


# the channel a conversation came through, as Rasa stores it in each user message, and
# the channels whose conversations are keyed by it since (bot/channels/identity.py)
KEYED_CHANNELS = ("rest", "telegram", "socketio")


def unkeyed_senders(engine: Engine, table: sa.Table) -> list[str]:
    """Sender ids stored before conversations were keyed by their channel."""
    sender = table.c.sender_id
    keyed = sa.or_(*(sender.like(f"{channel}:%") for channel in KEYED_CHANNELS))
    with engine.connect() as connection:
        query = sa.select(sender).where(sa.not_(keyed)).distinct()
        return list(connection.execute(query).scalars())


def _channel_of(engine: Engine, table: sa.Table, sender_id: str) -> str | None:
    """The channel of the sender's user messages, if it is one and one of ours."""
    mine = (table.c.sender_id == sender_id) & (table.c.type_name == "user")
    query = sa.select(table.c.data).where(mine)
    channels = set()
    with engine.connect() as connection:
        for (data,) in connection.execute(query):
            try:
                channels.add(json.loads(data).get("input_channel"))
            except (ValueError, AttributeError):
                channels.add(None)
    if len(channels) == 1 and (channel := channels.pop()) in KEYED_CHANNELS:
        return channel
    return None


def key_by_channel(engine: Engine, table: sa.Table) -> dict[str, int]:
    """Rename each conversation stored under a bare sender id to ``<channel>:<id>``, the
    channel read from its user messages (``input_channel``). Left as they are: rasa
    shell's (``cmdline``), those of no or mixed channels, and those whose new key is
    taken already (a conversation begun after the upgrade). Returns counts by outcome.
    """
    counts = {"keyed": 0, "left": 0, "taken": 0}
    for sender_id in unkeyed_senders(engine, table):
        channel = _channel_of(engine, table, sender_id)
        if channel is None:
            counts["left"] += 1
            continue
        new = f"{channel}:{sender_id}"
        with engine.begin() as connection:
            taken = connection.execute(
                sa.select(sa.func.count()).where(table.c.sender_id == new)
            ).scalar()
            if taken:
                counts["taken"] += 1
                continue
            connection.execute(
                table.update().where(table.c.sender_id == sender_id).values(sender_id=new)
            )
        counts["keyed"] += 1
    if counts["keyed"]:
        logger.info(f"Keyed {counts['keyed']} conversations by their channel.")
    return counts
