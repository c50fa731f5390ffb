"""Intent accuracy of the trained bot on messages that no training file contains."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.paths import ROOT
from bot.testing.nlu_data import DEVSET, HELDOUT, load_examples, load_styled
from tests.conftest import NLU_LESS_INTENTS

# Just under what the bot reaches today, so that it never falls back: held-out 0.921 of
# 573, long stories 0.895 of 152 (part 4, the freshest, 0.855 with 15 passes; the older
# parts 0.938); the goal is 0.95 and 0.93 (not reached yet).
MIN_ACCURACY = 0.915
# by style: long stories (2-6 sentences) have their own floor; the others are reported
MIN_BY_STYLE = {"long": 0.89, "texting": 0.0, "off_topic": 0.0}
MIN_STYLED = {"long": 60, "texting": 30, "off_topic": 20}


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


def test_heldout_set_has_each_style() -> None:
    counts = Counter(style for _, _, styles in load_styled() for style in styles)
    assert all(counts[style] >= n for style, n in MIN_STYLED.items()), counts


@pytest.fixture(scope="module")
def heldout_predictions(agent, event_loop_session) -> list[tuple[str, str, frozenset[str]]]:
    """(expected intent, predicted intent, styles) of every held-out message."""
    run = event_loop_session.run_until_complete
    return [
        (intent, run(agent.parse_message(text))["intent"]["name"], styles)
        for text, intent, styles in load_styled()
    ]


@pytest.mark.slow
def test_heldout_intent_accuracy(heldout_predictions) -> None:
    misses = Counter((want, got) for want, got, _ in heldout_predictions if want != got)
    accuracy = 1 - sum(misses.values()) / len(heldout_predictions)
    print(f"held-out intent accuracy: {accuracy:.3f} on {len(heldout_predictions)} messages")
    assert accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.3f}; confusions: {misses.most_common()}"


@pytest.mark.slow
@pytest.mark.parametrize("style", sorted(MIN_BY_STYLE))
def test_heldout_accuracy_by_style(heldout_predictions, style: str) -> None:
    scored = [(want, got) for want, got, styles in heldout_predictions if style in styles]
    misses = Counter((want, got) for want, got in scored if want != got)
    accuracy = 1 - sum(misses.values()) / len(scored)
    print(f"held-out {style}: {accuracy:.3f} on {len(scored)} messages")
    assert accuracy >= MIN_BY_STYLE[style], f"{style} {accuracy:.3f}: {misses.most_common()}"
