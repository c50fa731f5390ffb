"""Erase one person's conversation from the tracker store.

    python -m bot.cli.forget KEY [--endpoints endpoints.yml]   # or: make forget SENDER=KEY

KEY is the conversation's key, its channel and id (``rest:alice``, ``telegram:995001``,
``socketio:<session>``; bot/channels/identity.py).
Uses the tracker store configured in the endpoints file (which must be the project's
``bot.stores.tracker_store.BotSQLTrackerStore``); prints how many events were deleted.
"""

from __future__ import annotations

import argparse
import sys

from bot.channels.identity import channel_of
from bot.stores.tracker_store import BotSQLTrackerStore


def open_store(endpoints: str) -> BotSQLTrackerStore:
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints

    config = AvailableEndpoints.read_endpoints(endpoints).tracker_store
    store = TrackerStore.create(config)
    if not isinstance(store, BotSQLTrackerStore):
        raise SystemExit(
            f"{endpoints}: tracker_store must be bot.stores.tracker_store.BotSQLTrackerStore, "
            f"not {type(store).__name__}"
        )
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "sender_id", help="the conversation to erase: <channel>:<id>, e.g. telegram:995001"
    )
    parser.add_argument("--endpoints", default="endpoints.yml")
    args = parser.parse_args(argv)
    if not args.sender_id.strip():
        parser.error("the sender id is empty (make forget SENDER=<sender id>)")
    if channel_of(args.sender_id) is None:
        print(f"note: {args.sender_id!r} names no channel (rest:, telegram:, socketio:)")
    deleted = open_store(args.endpoints).delete(args.sender_id)
    print(f"deleted {deleted} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
