"""Intent accuracy of the trained bot on messages that no training file contains."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.paths import ROOT
from bot.testing.nlu_data import DEVSET, HELDOUT, load_examples
from tests.conftest import NLU_LESS_INTENTS

MIN_ACCURACY = 0.90


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.mark.parametrize("path", [HELDOUT, DEVSET], ids=["heldout", "devset"])
def test_heldout_messages_are_not_training_data(path: Path) -> None:
    examples = load_data(str(ROOT / "data/nlu.yml")).intent_examples
    training = {normalise(m.get("text")) for m in examples}
    leaked = [text for text, _ in load_examples(path) if normalise(text) in training]
    assert not leaked, f"messages of {path.name} found in the training data: {leaked}"


def test_development_messages_are_not_heldout_messages() -> None:
    heldout = {normalise(text) for text, _ in load_examples(HELDOUT)}
    shared = [text for text, _ in load_examples(DEVSET) if normalise(text) in heldout]
    assert not shared, f"development messages that are also held out: {shared}"


def test_heldout_set_covers_every_intent_of_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    expected = set(domain["intents"]) - NLU_LESS_INTENTS
    assert {intent for _, intent in load_examples()} == expected


@pytest.mark.slow
def test_heldout_intent_accuracy(agent, event_loop_session) -> None:
    messages = load_examples()
    misses: Counter[tuple[str, str]] = Counter()
    for text, intent in messages:
        parsed = event_loop_session.run_until_complete(agent.parse_message(text))
        if parsed["intent"]["name"] != intent:
            misses[(intent, parsed["intent"]["name"])] += 1
    accuracy = 1 - sum(misses.values()) / len(messages)
    print(f"held-out intent accuracy: {accuracy:.3f} on {len(messages)} messages")
    assert accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.3f}; confusions: {misses.most_common()}"
