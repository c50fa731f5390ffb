"""Load generator: plays scripted conversations against a Rasa REST channel.

Runs as its own process (``python -m bench.loadgen``) so that the client's CPU time is
not counted inside the server, and prints one JSON object with every latency::

    python -m bench.loadgen --url http://127.0.0.1:5005 --concurrency 50 --messages 2000

Each of ``--concurrency`` workers plays conversations from ``bench/conversations.yml``
one after the other (worker i starts at conversation i, so the mix is deterministic),
each play as a fresh sender, until ``--messages`` messages have been sent in total.
An error is a non-200 answer, an answer that is not a JSON list, a connection error
or a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.testing.rest import auth_headers

CONVERSATIONS = Path(__file__).with_name("conversations.yml")
WEBHOOK = "/webhooks/rest/webhook"


def load_conversations(path: Path = CONVERSATIONS) -> list[list[str]]:
    data = yaml.safe_load(path.read_text())
    conversations = data["conversations"]
    if not conversations or not all(conversations):
        raise ValueError(f"{path}: needs at least one non-empty conversation")
    return conversations


async def _worker(
    worker: int,
    session: aiohttp.ClientSession,
    url: str,
    conversations: list[list[str]],
    budget: itertools.count,
    limit: int,
    prefix: str,
    latencies: list[float],
    errors: list[str],
) -> None:
    for play in itertools.count():
        turns = conversations[(worker + play) % len(conversations)]
        sender = f"{prefix}-{worker}-{play}"
        for text in turns:
            if next(budget) >= limit:
                return
            start = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as r:
                    body: Any = await r.json(content_type=None)
                    ok = r.status == 200 and isinstance(body, list)
                    if not ok:
                        errors.append(f"HTTP {r.status}: {str(body)[:200]}")
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
                errors.append(f"{type(e).__name__}: {e}")
            latencies.append((time.perf_counter() - start) * 1000.0)


async def run(url: str, concurrency: int, messages: int, prefix: str, timeout: float) -> dict:
    conversations = load_conversations()
    latencies: list[float] = []
    errors: list[str] = []
    budget = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(
        connector=connector, timeout=client_timeout, headers=auth_headers()
    ) as session:
        start = time.perf_counter()
        await asyncio.gather(
            *(
                _worker(
                    i,
                    session,
                    url.rstrip("/") + WEBHOOK,
                    conversations,
                    budget,
                    messages,
                    prefix,
                    latencies,
                    errors,
                )
                for i in range(concurrency)
            )
        )
        wall = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "messages": len(latencies),
        "wall_s": wall,
        "latencies_ms": latencies,
        "errors": len(errors),
        "error_samples": errors[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="server base URL")
    parser.add_argument("--concurrency", type=int, default=1, help="parallel conversations")
    parser.add_argument("--messages", type=int, default=500, help="messages in total")
    parser.add_argument("--prefix", default="bench", help="sender id prefix")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.messages < 1:
        parser.error("--concurrency and --messages must be at least 1")
    result = asyncio.run(run(args.url, args.concurrency, args.messages, args.prefix, args.timeout))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
