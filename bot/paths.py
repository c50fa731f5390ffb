"""Where the project's files are: the one definition of the project root.

The package is installed in editable mode (``scripts/bootstrap.sh``), so the root is
the folder above ``bot/`` whatever the working directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yml"
ENDPOINTS = ROOT / "endpoints.yml"
MODELS = ROOT / "models"


@cache
def spacy_model(config: Path = CONFIG) -> Path:
    """The spaCy pipeline folder that ``SpacyNLP`` loads, as written in ``config``
    (relative to the project root): the one place the path is written."""
    pipeline = yaml.safe_load(config.read_text())["pipeline"]
    for component in pipeline:
        if component.get("name") == "SpacyNLP":
            return Path(component["model"])
    raise LookupError(f"{config} has no SpacyNLP component")
