"""The spaCy pipeline the project builds from packages, and Rasa loading it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import spacy
import yaml

from bot.nlu.spacy_pipeline import DEFAULT_PATH, PIPELINE_NAME, build, create_pipeline
from bot.paths import ROOT


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("spacy") / "en_test")


def test_build_writes_a_loadable_pipeline(pipeline_dir: Path) -> None:
    meta = json.loads((pipeline_dir / "meta.json").read_text())
    assert meta["name"] == PIPELINE_NAME
    assert meta["lang"] == "en"
    nlp = spacy.load(pipeline_dir)
    assert nlp.pipe_names == ["sentencizer", "lemmatizer"]


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("cried", "cry"),
        ("crying", "cry"),
        ("cries", "cry"),
        ("tears", "tear"),
        ("broke", "break"),
        ("does", "do"),  # LEMMA_FIXES, saved with the pipeline
    ],
)
def test_lookup_lemmas_come_from_spacy_lookups_data(
    pipeline_dir: Path, word: str, lemma: str
) -> None:
    nlp = spacy.load(pipeline_dir)
    assert nlp(word)[0].lemma_ == lemma


def test_build_is_idempotent_and_force_rebuilds(pipeline_dir: Path) -> None:
    marker = pipeline_dir / "marker"
    marker.write_text("x")
    build(pipeline_dir)
    assert marker.exists(), "an existing pipeline must be reused"
    build(pipeline_dir, force=True)
    assert not marker.exists(), "--force must rebuild from scratch"
    assert spacy.load(pipeline_dir)("sobbing")[0].lemma_ == "sob"


def test_has_no_vectors_or_trained_weights() -> None:
    nlp = create_pipeline()
    assert nlp.vocab.vectors.shape[0] == 0


def test_rasa_spacynlp_loads_it(pipeline_dir: Path) -> None:
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    model = SpacyNLP.load_model(str(pipeline_dir))
    SpacyNLP.ensure_proper_language_model(model.model)
    assert [t.lemma_ for t in model.model("he cried")] == ["he", "cry"]


def test_every_user_of_the_pipeline_names_the_same_path() -> None:
    # Rasa caches trained components by this path: `make spacy` must build the
    # pipeline that config.yml names (and bot.cli.train hashes)
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    spacy_nlp = next(c for c in config["pipeline"] if c["name"] == "SpacyNLP")
    assert Path(spacy_nlp["model"]) == DEFAULT_PATH
    make = subprocess.run(
        ["make", "-s", "--eval", "print-spacy: ; @echo $(SPACY_MODEL)", "print-spacy"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert make.stdout.strip() == str(DEFAULT_PATH)


def test_messages_are_split_into_sentences(pipeline_dir: Path) -> None:
    nlp = spacy.load(pipeline_dir)
    doc = nlp("he cried when we broke up. then he took a bunch of pills! what do i do?")
    assert [s.text for s in doc.sents] == [
        "he cried when we broke up.",
        "then he took a bunch of pills!",
        "what do i do?",
    ]
