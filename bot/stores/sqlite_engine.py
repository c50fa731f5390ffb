"""SQLite for the tracker store: one kept connection, WAL, and ids that are never reused.

- SQLAlchemy 1.4 opens a new connection for every session on a SQLite file (NullPool);
  a ``QueuePool`` keeps it open between messages.
- ``journal_mode=WAL`` with ``synchronous=NORMAL``: a commit appends to the write-ahead
  log without an fsync. A committed turn survives the server being killed (the data
  is in the OS's page cache), which is what the project promises; a power cut or an OS
  crash can lose the last turns before a checkpoint, and never corrupts the file.
  ``synchronous=FULL`` would fsync every commit (about a third of a reply's time).
- ``secure_delete=ON``: a deleted row's bytes are overwritten with zeros (SQLite's
  default leaves them in the page until it is reused, and whether a build turns it on
  differs); ``checkpoint_wal`` then moves the log into the file and truncates the log,
  which an erasure calls so no old page of the conversation remains in the ``-wal``.
- ``AUTOINCREMENT``: without it SQLite gives a new row the highest id + 1, so after an
  erasure of the newest rows their ids come back. The tracker cache
  (``bot/speedups/tracker_cache.py``) recognises a conversation's rows by their number and
  highest id and needs ids never to be given twice. A table made before (by Rasa's
  store) is rebuilt with it by an explicit migration (``bot/stores/migrations.py``).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)


def is_sqlite_file(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def _tune(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # stored in the file: once is enough
    cursor.execute("PRAGMA synchronous=NORMAL")  # per connection
    cursor.execute("PRAGMA secure_delete=ON")  # per connection
    cursor.close()


def checkpoint_wal(engine: Engine, attempts: int = 20) -> bool:
    """Copy the write-ahead log into the database file and truncate it to zero bytes.

    A reader in another connection (another process) can keep the log busy for a
    moment, so it is tried a few times; False (and a warning) if it stayed busy.
    """
    for attempt in range(attempts):
        with engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
        time.sleep(0.05 * (attempt + 1))
    logger.warning("The write-ahead log stayed busy; erased pages remain until the next checkpoint")
    return False


def pooled_engine(url: URL | str) -> Engine:
    """An engine on a SQLite file that keeps its connection, in WAL mode."""
    # the pool hands a connection to one user at a time; Rasa may call from any thread
    engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _tune)
    return engine
