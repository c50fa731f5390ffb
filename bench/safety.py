"""Safety recall and false alarms of the latest model, message by message.

    python -m bench.safety                                  # the development messages
    python -m bench.safety --messages tests/safety/heldout.yml

Each message is sent as the first message of a new conversation to the bot in process;
it counts as answered with safety when the bot's first response is the safety answer.
Lists every dangerous message that missed it and every ordinary one that got it, with
who decided the intent. Choose rules and thresholds on the development messages only.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from pathlib import Path

from bot.paths import MODELS
from bot.testing.agent import load_project_agent, project_endpoints
from bot.testing.safety_data import SAFETY_DEVSET, first_reply, is_safety_answer, load_safety


def _who(parse: dict) -> str:
    source = parse.get("intent_source") or {}
    intent = (parse.get("intent") or {}).get("name")
    return f"{intent} by {source.get('rule') or source.get('decided_by', '?')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=Path, default=SAFETY_DEVSET)
    parser.add_argument("--model", help="model archive (default: the latest in models/)")
    args = parser.parse_args(argv)

    from rasa.model import get_latest_model

    loop = asyncio.new_event_loop()
    endpoints = project_endpoints()
    endpoints.tracker_store = None  # in memory
    agent = load_project_agent(args.model or get_latest_model(str(MODELS)), loop, endpoints)
    data = load_safety(args.messages)

    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for text, kind in data.dangerous:
        reply = first_reply(agent, loop, text)
        totals[kind] += 1
        if is_safety_answer(reply):
            hits[kind] += 1
        else:
            print(f"MISS  {kind}: {text}\n      -> {reply.action} ({_who(reply.parse)})")
    alarms = 0
    for text in data.ordinary:
        reply = first_reply(agent, loop, text)
        if is_safety_answer(reply):
            alarms += 1
            print(f"ALARM {text}\n      -> ({_who(reply.parse)})")
    print()
    for kind in totals:
        print(f"{kind:18} {hits[kind]:3}/{totals[kind]:3}  {hits[kind] / totals[kind]:.1%}")
    recall = sum(hits.values()) / max(1, sum(totals.values()))
    print(f"recall {recall:.1%} of {sum(totals.values())} dangerous messages")
    print(f"false alarms {alarms / max(1, len(data.ordinary)):.1%} of {len(data.ordinary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
