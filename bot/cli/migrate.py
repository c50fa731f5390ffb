"""Bring the tracker database of an endpoints file up to date (bot/stores/migrations.py).

    python -m bot.cli.migrate [--endpoints endpoints.yml]    # or: make migrate

Safe to run at any time: a database that needs nothing is left as it is.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa
import yaml

from bot.stores.migrations import ensure_autoincrement, key_by_channel
from bot.stores.sqlite_engine import is_sqlite_file
from bot.stores.tracker_store import BotSQLTrackerStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", default="endpoints.yml")
    args = parser.parse_args(argv)
    store = (yaml.safe_load(Path(args.endpoints).read_text()) or {}).get("tracker_store") or {}
    table = BotSQLTrackerStore.SQLEvent.__table__
    if store.get("dialect", "sqlite") == "sqlite":
        engine = sa.create_engine(f"sqlite:///{store.get('db', 'var/tracker.db')}")
        name = engine.url.database
        if is_sqlite_file(engine) and ensure_autoincrement(engine, table):
            print(f"{name}: events table rebuilt with AUTOINCREMENT")
    else:  # PostgreSQL: Rasa reads the endpoints, with their ${VARIABLES}
        from bot.cli.forget import open_store

        engine, name = open_store(args.endpoints).engine, store.get("db", "the database")
    try:
        if sa.inspect(engine).has_table(table.name):
            counts = key_by_channel(engine, table)
            if counts["keyed"] or counts["taken"]:
                print(
                    f"{name}: {counts['keyed']} conversations keyed by their channel"
                    f" ({counts['taken']} left under their old key: the new one is in use)"
                )
        print(f"{name}: up to date")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
