"""Tracker store cost per message, in process (issue 4): no HTTP, no second process.

Loads the latest model once into a Rasa agent with the project's NLG and plays the
scripted conversations of ``bench/conversations.yml`` through ``agent.handle_text``
against each tracker store given, on a fresh SQLite file each. The stores take turns
conversation by conversation, so a busy machine slows them alike::

    python -m bench.store --messages 500
    python -m bench.store --store rasa.core.tracker_store.SQLTrackerStore \\
        --store bot.stores.tracker_store.BotSQLTrackerStore --turns 20

``--turns N`` plays N messages as one sender before starting a new one (default: one
scripted conversation each, 4-6 messages). Prints, for each store, p50/p90/p99 ms a
message and the share of the time spent inside the store's ``retrieve`` and ``save``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.loadgen import load_conversations
from bot.paths import ROOT

DEFAULT_STORES = [
    "rasa.core.tracker_store.SQLTrackerStore",
    "bot.stores.tracker_store.BotSQLTrackerStore",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Timed:
    """Wraps the store's retrieve and save (instance attributes) to add up their time."""

    def __init__(self, store: Any) -> None:
        self.seconds = 0.0
        for name in ("retrieve", "save"):
            setattr(store, name, self._wrap(getattr(store, name)))

    def _wrap(self, method: Callable) -> Callable:
        @functools.wraps(method)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def make_store(path: str, db: Path, domain: Any) -> Any:
    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    return cls(domain=domain, dialect="sqlite", db=str(db))


def scripts(conversations: list[list[str]], turns: int | None) -> list[list[str]]:
    """The message lists, one per sender, cycling through the conversations."""
    if turns is None:
        return conversations
    flat = list(itertools.chain.from_iterable(conversations))
    return [flat[i : i + turns] for i in range(0, len(flat), turns)] or [flat]


async def run(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.model import get_latest_model
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    model = args.model or get_latest_model(str(ROOT / "models"))
    if not model:
        raise SystemExit("no model: run `make train` first")
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    endpoints.tracker_store = None
    agent = await load_agent(model_path=str(model), endpoints=endpoints)

    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    stores = [make_store(p, folder / f"{i}.db", agent.domain) for i, p in enumerate(args.store)]
    timers = [Timed(s) for s in stores]
    latencies: list[list[float]] = [[] for _ in stores]
    total = [0.0 for _ in stores]

    plays = itertools.cycle(scripts(load_conversations(), args.turns))
    for text in ["hi", "my wife cries when i cry"]:  # warm up every store
        for store in stores:
            agent.tracker_store = agent.processor.tracker_store = store
            await agent.handle_text(text, sender_id="warmup")
    for timer in timers:
        timer.seconds = 0.0

    sent = 0
    while sent < args.messages:
        play = next(plays)[: args.messages - sent]
        for index, store in enumerate(stores):
            agent.tracker_store = agent.processor.tracker_store = store
            sender = f"bench-{uuid.uuid4().hex}"
            for text in play:
                start = time.perf_counter()
                await agent.handle_text(text, sender_id=sender)
                elapsed = time.perf_counter() - start
                latencies[index].append(elapsed * 1000)
                total[index] += elapsed
        sent += len(play)

    results = {}
    for path, lat, timer, seconds in zip(args.store, latencies, timers, total, strict=True):
        results[path] = {
            "messages": len(lat),
            "p50_ms": statistics.median(lat),
            "p90_ms": percentile(lat, 90),
            "p99_ms": percentile(lat, 99),
            "mean_ms": statistics.fmean(lat),
            "store_share": timer.seconds / seconds,
            "store_ms": timer.seconds * 1000 / len(lat),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", action="append", help="tracker store class (repeatable)")
    parser.add_argument("--messages", type=int, default=500, help="messages per store")
    parser.add_argument("--turns", type=int, help="messages per sender (default: a script)")
    parser.add_argument("--model", help="model archive (default: the latest in models/)")
    args = parser.parse_args(argv)
    args.store = args.store or DEFAULT_STORES
    os.chdir(ROOT)  # the NLG and the spaCy pipeline resolve paths from the project root
    results = asyncio.run(run(args))
    print(f"{'store':<45} {'msgs':>5} {'p50':>7} {'p90':>7} {'p99':>7} {'store':>8} {'share':>6}")
    for path, r in results.items():
        print(
            f"{path:<45} {r['messages']:>5} {r['p50_ms']:>7.1f} {r['p90_ms']:>7.1f} "
            f"{r['p99_ms']:>7.1f} {r['store_ms']:>6.1f}ms {r['store_share']:>6.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
