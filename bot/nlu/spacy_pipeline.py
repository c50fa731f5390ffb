"""Build the spaCy pipeline that Rasa's ``SpacyNLP`` loads.

No pre-trained spaCy model can be downloaded here, so the project builds its own from
what ships in packages: spaCy's English tokenizer and language data, plus the lemma
lookup table of ``spacy-lookups-data``. The result is a plain spaCy pipeline directory
(``meta.json``, ``config.cfg``, ...) that ``spacy.load(path)`` - and so ``SpacyNLP`` - can
load like any installed model.

Usage: ``python -m bot.nlu.spacy_pipeline [PATH]`` (default :data:`DEFAULT_PATH`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import spacy
from spacy.language import Language

from bot.paths import spacy_model

# The `model:` of SpacyNLP in config.yml (relative to the project root). Rasa's
# training cache knows the spaCy pipeline only by this path, so bump its suffix there
# whenever the pipeline's output changes, or `rasa train` reuses features of the old
# lemmas.
DEFAULT_PATH = spacy_model()
PIPELINE_NAME = "partner_lookup"
# Lookup-table lemmas that are wrong in chat messages: the table maps "does" to the
# noun "doe", so the pattern "does|do ..." never matched "does".
LEMMA_FIXES = {"does": "do"}


def create_pipeline() -> Language:
    """Return blank English with a lookup lemmatizer (its table from spacy-lookups-data).

    "Lookup" mode needs no part-of-speech tagger, which this pipeline cannot have
    without a trained model: ``cried``/``cries``/``crying`` all become ``cry``.
    """
    nlp = spacy.blank("en")
    # sentence boundaries from punctuation, so that a message is read sentence by
    # sentence (bot/nlu/crisis_detector.py); rule-based, no trained parser
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() loads the `lemma_lookup` table from spacy-lookups-data (installed).
    nlp.initialize()
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    for word, lemma in LEMMA_FIXES.items():
        table[word] = lemma
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = (
        "Blank English tokenizer with spaCy's language data, the rule-based sentencizer "
        "and the lookup lemmatizer from spacy-lookups-data; built by "
        "bot.nlu.spacy_pipeline, no downloaded weights."
    )
    return nlp


def build(path: Path = DEFAULT_PATH, force: bool = False) -> Path:
    """Write the pipeline to ``path`` unless a loadable one is already there."""
    path = Path(path)
    if (path / "meta.json").exists() and not force:
        return path
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)
    create_pipeline().to_disk(tmp)
    # Swap in atomically, so an interrupted build never leaves a half-written model.
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    args = parser.parse_args(argv)
    print(f"spaCy pipeline ready at {build(args.path, args.force)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
