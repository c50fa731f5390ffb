"""The NLU test data: messages never trained on, in Rasa's NLU format, so that
``rasa test nlu --nlu tests/heldout/nlu.yml`` reads them as the project's tests do.

- ``tests/heldout/nlu.yml``: the final measure; never used to choose a setting;
- ``tests/devset/nlu.yml``: development messages, for choosing settings.
"""

from __future__ import annotations

from pathlib import Path

from bot.paths import ROOT

HELDOUT = ROOT / "tests" / "heldout" / "nlu.yml"
DEVSET = ROOT / "tests" / "devset" / "nlu.yml"


def load_examples(path: Path = HELDOUT) -> list[tuple[str, str]]:
    """(message, intent) pairs, in file order, read by Rasa's own loader."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]
