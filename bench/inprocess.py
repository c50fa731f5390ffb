"""Time (and optionally profile) replies in process, without HTTP or a server.

`make bench` measures the whole server; this plays the same scripted conversations
(bench/conversations.yml, a fresh sender per play) straight into ``agent.handle_text``
with logging set up as ``rasa run`` does (INFO, structlog at INFO), so the cost of
each part of a reply can be read from a profile::

    python -m bench.inprocess --messages 500                 # CPU ms per message
    python -m bench.inprocess --model models/a.tar.gz models/b.tar.gz   # side by side
    python -m bench.inprocess --messages 300 --profile       # the share of each part
    python -m bench.inprocess --runner dask sequential       # Rasa's graph runner and ours

The tracker store is in memory (``bench.memory_store.EventListTrackerStore``) unless
``--endpoints-store`` keeps the one in endpoints.yml, so that the dialogue side is
not hidden behind the store's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from bot.paths import ROOT

# (label, [(file suffix, function name)]): cumulative time of each, from the profile
RULES = "rasa/core/policies/rule_policy.py"
MEMO = "rasa/core/policies/memoization.py"
PARTS = [
    ("NLU parse (graph run)", [("rasa/core/processor.py", "_parse_message_with_graph")]),
    ("action prediction (graph run)", [("rasa/core/processor.py", "_predict_next_with_tracker")]),
    ("  dask get_async (all runs)", [("dask/local.py", "get_async")]),
    ("  graph nodes (all runs)", [("rasa/engine/graph.py", "__call__")]),
    ("  RulePolicy", [(RULES, "predict_action_probabilities")]),
    (
        "  MemoizationPolicy",
        [
            (MEMO, "predict_action_probabilities"),
            ("bot/speedups/policies.py", "predict_action_probabilities"),
        ],
    ),
    ("  past states (Rasa)", [("rasa/shared/core/domain.py", "states_for_tracker_history")]),
    ("  past states (bot)", [("bot/speedups/dialogue_states.py", "past_states")]),
    (
        "  rule search",
        [(RULES, "_get_possible_keys"), ("bot/speedups/policies.py", "_get_possible_keys")],
    ),
    ("DIET", [("rasa/nlu/classifiers/diet_classifier.py", "process")]),
    ("tracker store retrieve", [("rasa/core/tracker_store.py", "get_or_create_tracker")]),
    ("tracker store save", [("rasa/core/processor.py", "save_tracker")]),
    ("run actions (incl. NLG)", [("rasa/core/processor.py", "_run_action")]),
]


def _messages(count: int) -> list[tuple[str, str]]:
    """(sender, text) pairs: conversations played in turn, each as a fresh sender."""
    from bench.loadgen import load_conversations

    conversations = load_conversations()
    out: list[tuple[str, str]] = []
    for play in itertools.count():
        for text in conversations[play % len(conversations)]:
            if len(out) == count:
                return out
            out.append((f"inprocess-{play}", text))
    return out


def _load_agent(loop: asyncio.AbstractEventLoop, model: str, endpoints_store: bool, runner: str):
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.utils.endpoints import EndpointConfig

    from bot.speedups.graph_runner import SequentialGraphRunner
    from bot.testing.agent import load_project_agent, project_endpoints

    endpoints = project_endpoints()
    if not endpoints_store:
        endpoints.tracker_store = EndpointConfig(type="bench.memory_store.EventListTrackerStore")
    runners = {"dask": DaskGraphRunner, "sequential": SequentialGraphRunner}
    return load_project_agent(model, loop, endpoints, runners[runner])


def _report_parts(profile: cProfile.Profile, messages: int) -> None:
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"profiled total {total:.2f}s = {1000 * total / messages:.2f} ms/message")
    for label, functions in PARTS:
        hits = [
            (calls, cumulative)
            for (file, _, func), (_, calls, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
            if any(func == name and file.endswith(suffix) for suffix, name in functions)
        ]
        calls = sum(h[0] for h in hits)
        cumulative = sum(h[1] for h in hits)
        print(
            f"  {label:32s} {cumulative:6.2f}s {100 * cumulative / total:5.1f}% "
            f"{1000 * cumulative / messages:6.2f} ms/msg  ({calls} calls)"
        )


def _timed(processor: Any, name: str, totals: dict[str, float]) -> None:
    """Count the CPU time of one processor method (an instance attribute shadows it)."""
    method = getattr(processor, name)
    totals[name] = 0.0

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            totals[name] += time.process_time() - started

    setattr(processor, name, timed)


# processor methods timed without a profile: NLU and choosing each next action
PARTS_TIMED = [
    ("_parse_message_with_graph", "NLU (graph run)"),
    ("_predict_next_with_tracker", "actions (graph run)"),
]


def _compare(loop: asyncio.AbstractEventLoop, agents: dict[str, Any], count: int) -> None:
    """Each message to every model in turn, so that all see the same machine load."""
    totals = {model: {"reply": 0.0} for model in agents}
    for model, agent in agents.items():
        for name, _ in PARTS_TIMED:
            _timed(agent.processor, name, totals[model])
    for sender, text in _messages(count):
        for i, (model, agent) in enumerate(agents.items()):
            started = time.process_time()  # own senders: the models may share a store
            loop.run_until_complete(agent.handle_text(text, sender_id=f"{sender}-{i}"))
            totals[model]["reply"] += time.process_time() - started
    for model, parts in totals.items():
        each = 1000 * parts["reply"] / count
        print(f"{model}: {count} messages, {each:.2f} ms CPU each")
        for name, label in PARTS_TIMED:
            print(f"  {label}: {1000 * parts[name] / count:.2f} ms")


def _profile(loop: asyncio.AbstractEventLoop, agent: Any, count: int, dump: Path | None) -> None:
    profile = cProfile.Profile()
    messages = _messages(count)
    profile.enable()
    for sender, text in messages:
        loop.run_until_complete(agent.handle_text(text, sender_id=sender))
    profile.disable()
    _report_parts(profile, count)
    if dump:
        profile.dump_stats(dump)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument(
        "--model", nargs="+", default=[str(ROOT / "models")], help="several: compared side by side"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile, share of each part")
    parser.add_argument("--dump", type=Path, help="write the raw profile here")
    parser.add_argument("--endpoints-store", action="store_true", help="store of endpoints.yml")
    parser.add_argument(
        "--runner",
        nargs="+",
        choices=["sequential", "dask"],
        default=["sequential"],
        help="graph runner (the server's: sequential); several are compared",
    )
    args = parser.parse_args(argv)
    if args.profile and len(args.model) * len(args.runner) > 1:
        parser.error("--profile takes one model and one runner")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.chdir(ROOT)
    loop = asyncio.new_event_loop()
    agents = {
        f"{Path(model).name} [{runner}]": _load_agent(loop, model, args.endpoints_store, runner)
        for model in args.model
        for runner in args.runner
    }
    for agent in agents.values():  # warm up
        for text in ("hello", "my boyfriend cries when i cry", "what should i do"):
            loop.run_until_complete(agent.handle_text(text, sender_id="inprocess-warmup"))
    if args.profile:
        _profile(loop, next(iter(agents.values())), args.messages, args.dump)
    else:
        _compare(loop, agents, args.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
