"""Intent accuracy and macro-F1 on the held-out messages (tests/heldout/messages.yml)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import yaml
from sklearn.metrics import f1_score

from bench.variants import ROOT

HELDOUT = ROOT / "tests" / "heldout" / "messages.yml"


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
