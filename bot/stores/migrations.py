"""Changes to a tracker database made before this version, run on request only.

    python -m bot.cli.migrate [--endpoints endpoints.yml]    # or: make migrate

- ``AUTOINCREMENT`` on SQLite's ``events`` table. Rasa's own store creates the table
  without it, and then SQLite gives a new row the highest id + 1, so after an erasure
  of the newest rows their ids come back; the tracker cache recognises a
  conversation's rows by their number and highest id, so ids must never be given
  twice. The rebuild keeps every row and id.

A store on a database that still needs a migration refuses to start and says so,
rather than change a file behind its operator's back.
"""

from __future__ import annotations

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
