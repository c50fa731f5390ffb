"""The NLU test data: messages never trained on, in Rasa's NLU format, so that
``rasa test nlu --nlu tests/heldout/nlu.yml`` reads them as the project's tests do.

- ``tests/heldout/nlu.yml``: the final measure; never used to choose a setting;
- ``tests/devset/nlu.yml``: development messages, for choosing settings.

Blocks may carry ``metadata: {styles: [long, texting, off_topic]}``: long stories
(2 to 6 sentences), texting style, crying that is not a partner's.
"""

from __future__ import annotations

from pathlib import Path

from bot.paths import ROOT

HELDOUT = ROOT / "tests" / "heldout" / "nlu.yml"
DEVSET = ROOT / "tests" / "devset" / "nlu.yml"


def load_examples(path: Path = HELDOUT) -> list[tuple[str, str]]:
    """(message, intent) pairs, in file order, read by Rasa's own loader."""
    return [(text, intent) for text, intent, _ in load_styled(path)]


def load_styled(path: Path = HELDOUT) -> list[tuple[str, str, frozenset[str]]]:
    """(message, intent, styles) triples, in file order."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [
        (m.get("text"), m.get("intent"), frozenset(styles_of(m.get("metadata"))))
        for m in data.intent_examples
    ]


def styles_of(metadata: object) -> list[str]:
    block = metadata.get("intent") if isinstance(metadata, dict) else None
    return list(block.get("styles") or []) if isinstance(block, dict) else []
