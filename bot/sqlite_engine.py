"""SQLite for the tracker store: one kept connection, WAL, and ids that are never reused.

- SQLAlchemy 1.4 opens a new connection for every session on a SQLite file (NullPool);
  a ``QueuePool`` keeps it open between messages.
- ``journal_mode=WAL`` with ``synchronous=NORMAL``: a commit appends to the write-ahead
  log without an fsync. A committed turn survives the server being killed (the data
  is in the OS's page cache), which is what the project promises; a power cut or an OS
  crash can lose the last turns before a checkpoint, and never corrupts the file.
  ``synchronous=FULL`` would fsync every commit (about a third of a reply's time).
- ``AUTOINCREMENT``: without it SQLite gives a new row the highest id + 1, so after an
  erasure of the newest rows their ids come back. The tracker cache
  (``bot/tracker_cache.py``) recognises a conversation's rows by their number and
  highest id and needs ids never to be given twice. ``ensure_autoincrement`` rebuilds
  an ``events`` table made before (by Rasa's store) once, keeping every row and id.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.schema import CreateIndex, CreateTable

logger = logging.getLogger(__name__)


def is_sqlite_file(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def _tune(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # stored in the file: once is enough
    cursor.execute("PRAGMA synchronous=NORMAL")  # per connection
    cursor.close()


def pooled_engine(url: URL | str) -> Engine:
    """An engine on a SQLite file that keeps its connection, in WAL mode."""
    # the pool hands a connection to one user at a time; Rasa may call from any thread
    engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _tune)
    return engine


def ensure_autoincrement(engine: Engine, table: sa.Table) -> bool:
    """Rebuild ``table`` with ``AUTOINCREMENT`` if it was created without; True if done.

    The table must be declared with ``sqlite_autoincrement=True``. One transaction
    (``BEGIN IMMEDIATE``: no other writer meanwhile), so a crash leaves the old table.
    """
    name = table.name

    def created_with_autoincrement(db: sqlite3.Connection) -> bool:
        row = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is None or "AUTOINCREMENT" in row[0].upper()

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
