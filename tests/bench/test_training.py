"""bench.training.inputs_fingerprint: a trained model is served again only while what
it learnt from is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import training
from bench.variants import BASELINE

CONFIG = "recipe: default.v1\nlanguage: en\npipeline:\n  - name: KeywordIntentClassifier\n"
DOMAIN = """version: "3.1"
intents: [greet, bye]
responses:
  utter_greet:
    - text: "Hello!"
"""
NLU = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello
      - hi
  - intent: bye
    examples: |
      - bye
"""
STORIES = """version: "3.1"
stories:
  - story: greet
    steps:
      - intent: greet
      - action: utter_greet
"""


def project(root: Path, **changes: str) -> Path:
    files = {
        "bench/config.baseline.yml": CONFIG,
        "domain.yml": DOMAIN,
        "data/nlu.yml": NLU,
        "data/stories.yml": STORIES,
    }
    for name, text in {**files, **changes}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def fingerprint(root: Path) -> str:
    return training.inputs_fingerprint(BASELINE, root)


def test_the_fingerprint_follows_what_is_learnt(tmp_path: Path) -> None:
    same = fingerprint(project(tmp_path / "a"))
    assert fingerprint(project(tmp_path / "b")) == same
    # a reworded answer is not learnt
    reworded = DOMAIN.replace("Hello!", "Hi there!")
    assert fingerprint(project(tmp_path / "c", **{"domain.yml": reworded})) == same
    changed = {
        "data/nlu.yml": NLU.replace("- hi\n", "- hi there\n"),
        "data/stories.yml": STORIES.replace("story: greet", "story: hello"),
        "domain.yml": DOMAIN.replace("[greet, bye]", "[greet, bye, thank]"),
        "bench/config.baseline.yml": CONFIG.replace("Keyword", "LogisticRegression"),
    }
    for i, (name, text) in enumerate(changed.items()):
        assert fingerprint(project(tmp_path / f"d{i}", **{name: text})) != same, name


def test_a_model_trained_on_other_inputs_is_not_reused(tmp_path: Path, monkeypatch) -> None:
    stored = {"training": {"scratch_s": 1.0, "model": "m.tar.gz", "inputs": "other"}}
    (tmp_path / "result.json").write_text(json.dumps(stored))
    monkeypatch.setattr(training, "inputs_fingerprint", lambda variant: "this")
    with pytest.raises(RuntimeError, match="trained on other data"):
        training.reused(tmp_path, BASELINE)
    stored["training"]["inputs"] = "this"
    (tmp_path / "result.json").write_text(json.dumps(stored))
    assert training.reused(tmp_path, BASELINE)["reused"] is True
