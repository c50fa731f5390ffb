"""Intent accuracy and macro-F1 on the held-out messages (tests/heldout/nlu.yml).

``python -m bench.heldout --messages tests/devset/nlu.yml`` scores the latest
trained model on the development messages, which are for choosing settings; keep
the held-out messages for the final measure.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from sklearn.metrics import f1_score

from bot.paths import MODELS
from bot.testing.agent import load_project_agent, project_endpoints
from bot.testing.nlu_data import HELDOUT, load_styled


def evaluate(parse: Callable[[str], dict], path: Path = HELDOUT) -> dict:
    """Score the intent the bot acts on (after fallback: `nlu_fallback` counts as wrong).

    Macro-F1 averages over the held-out intents, so a rare intent weighs as much as a
    common one. Also returns the NLU-only latency of `/model/parse`.
    """
    styled = load_styled(path)
    pairs = [(text, intent) for text, intent, _ in styled]
    predicted, parse_ms = [], []
    for text, _ in pairs:
        start = time.perf_counter()
        result = parse(text)
        parse_ms.append((time.perf_counter() - start) * 1000.0)
        predicted.append((result.get("intent") or {}).get("name") or "None")
    expected = [intent for _, intent in pairs]
    labels = sorted(set(expected))
    correct = sum(p == e for p, e in zip(predicted, expected, strict=True))
    misses = [(t, e, p) for (t, e), p in zip(pairs, predicted, strict=True) if p != e]
    by_style = {}
    for style in sorted({s for _, _, styles in styled for s in styles}):
        scored = [p == e for (_, e, st), p in zip(styled, predicted, strict=True) if style in st]
        by_style[style] = (sum(scored) / len(scored), len(scored))
    return {
        "n": len(pairs),
        "accuracy": correct / len(pairs),
        "macro_f1": float(
            f1_score(expected, predicted, labels=labels, average="macro", zero_division=0)
        ),
        "parse_ms": parse_ms,
        "misses": misses,
        "by_style": by_style,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--messages",
        type=Path,
        default=HELDOUT,
        help="Rasa NLU data (default: the held-out messages)",
    )
    parser.add_argument("--model", help="model archive (default: the latest in models/)")
    args = parser.parse_args()

    from rasa.model import get_latest_model

    loop = asyncio.new_event_loop()
    endpoints = project_endpoints()
    endpoints.tracker_store = None  # in memory
    agent = load_project_agent(args.model or get_latest_model(str(MODELS)), loop, endpoints)
    sources = {}

    def parse(text: str) -> dict:
        result = loop.run_until_complete(agent.parse_message(text))
        sources[text] = result.get("intent_source") or {}
        return result

    result = evaluate(parse, args.messages)
    print(f"{args.messages}: accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}")
    for style, (accuracy, n) in result["by_style"].items():
        print(f"  {style}: {accuracy:.3f} of {n}")
    for text, expected, predicted in result["misses"]:
        decided = sources[text].get("rule") or sources[text].get("decided_by", "?")
        print(f"  {expected} -> {predicted} ({decided}): {text}")


if __name__ == "__main__":
    main()
