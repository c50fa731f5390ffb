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

from bot.stores.migrations import ensure_autoincrement
from bot.stores.sqlite_engine import is_sqlite_file
from bot.stores.tracker_store import BotSQLTrackerStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", default="endpoints.yml")
    args = parser.parse_args(argv)
    store = (yaml.safe_load(Path(args.endpoints).read_text()) or {}).get("tracker_store") or {}
    if store.get("dialect", "sqlite") != "sqlite":
        print("nothing to migrate: only SQLite databases need it")
        return 0
    engine = sa.create_engine(f"sqlite:///{store.get('db', 'var/tracker.db')}")
    try:
        if is_sqlite_file(engine) and ensure_autoincrement(
            engine, BotSQLTrackerStore.SQLEvent.__table__
        ):
            print(f"{engine.url.database}: events table rebuilt with AUTOINCREMENT")
        else:
            print(f"{engine.url.database}: up to date")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
