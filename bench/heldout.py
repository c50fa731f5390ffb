"""Intent accuracy and macro-F1 on the held-out messages (tests/heldout/messages.yml).

``python -m bench.heldout --messages tests/devset/messages.yml`` scores the latest
trained model on the development messages, which are for choosing settings; keep
the held-out messages for the final measure.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from sklearn.metrics import f1_score

from bench.variants import ROOT

HELDOUT = ROOT / "tests" / "heldout" / "messages.yml"
# for choosing settings, so that the held-out messages stay an unseen measure
DEVSET = ROOT / "tests" / "devset" / "messages.yml"


def load_heldout(path: Path = HELDOUT) -> list[tuple[str, str]]:
    """(message, intent) pairs, in file order."""
    data = yaml.safe_load(path.read_text())
    return [(text, intent) for intent, texts in data["intents"].items() for text in texts]


def evaluate(parse: Callable[[str], dict], path: Path = HELDOUT) -> dict:
    """Score the intent the bot acts on (after fallback: `nlu_fallback` counts as wrong).

    Macro-F1 averages over the held-out intents, so a rare intent weighs as much as a
    common one. Also returns the NLU-only latency of `/model/parse`.
    """
    pairs = load_heldout(path)
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
    return {
        "n": len(pairs),
        "accuracy": correct / len(pairs),
        "macro_f1": float(
            f1_score(expected, predicted, labels=labels, average="macro", zero_division=0)
        ),
        "parse_ms": parse_ms,
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=Path, default=HELDOUT, help="intent: [messages] YAML")
    parser.add_argument("--model", help="model archive (default: the latest in models/)")
    args = parser.parse_args()

    from rasa.core.agent import Agent
    from rasa.model import get_latest_model

    agent = Agent.load(args.model or get_latest_model(str(ROOT / "models")))
    loop = asyncio.new_event_loop()
    sources = {}

    def parse(text: str) -> dict:
        result = loop.run_until_complete(agent.parse_message(text))
        sources[text] = result.get("intent_source") or {}
        return result

    result = evaluate(parse, args.messages)
    print(f"{args.messages}: accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}")
    for text, expected, predicted in result["misses"]:
        decided = sources[text].get("rule") or sources[text].get("decided_by", "?")
        print(f"  {expected} -> {predicted} ({decided}): {text}")


if __name__ == "__main__":
    main()
