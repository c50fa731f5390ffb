"""bot.speedups.crisis_scoring: the crisis detector's scores, computed without
scikit-learn's machinery, equal scikit-learn's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

import bot.nlu.crisis_detector as crisis_detector
from bot.nlu.crisis_detector import CrisisDetector
from bot.speedups.crisis_scoring import FastCrisisScores, fast_or_same, use_fast_crisis_scoring

DANGER = [
    "he hit me again last night",
    "i want to end my life",
    "she said she'd kill herself if i leave",
    "he locked me in and took my phone",
    "my ex keeps showing up at my work",
]
ORDINARY = [
    "my boyfriend cries when i cry",
    "she cried when we broke up",
    "are his tears fake?",
    "hello there",
    "thanks, that helps a lot",
]
# unseen words, repeats, punctuation and other scripts, nothing known at all, empty
PROBES = [
    *DANGER,
    *ORDINARY,
    "he he he hit hit me me",
    "WHY does my GF cry?!?! 😢",
    "qqqq zzzz",
    "",
    "ça va, il pleure",
    "he cried when we broke up and then he hit me",
]


def pipeline(seed: int = 0) -> Pipeline:
    model = Pipeline(
        [
            ("features", crisis_detector._vectoriser()),
            ("lr", LogisticRegression(class_weight="balanced", random_state=seed)),
        ]
    )
    return model.fit(DANGER * 3 + ORDINARY * 3, [True] * 15 + [False] * 15)


def test_the_scores_equal_scikit_learns() -> None:
    model = pipeline()
    expected = model.predict_proba(PROBES)
    fast = FastCrisisScores(model)
    assert list(fast.classes_) == list(model.classes_)
    np.testing.assert_allclose(fast.predict_proba(PROBES), expected, rtol=0, atol=1e-9)
    # one piece at a time, as short messages are scored
    for text, row in zip(PROBES, expected, strict=True):
        np.testing.assert_allclose(fast.predict_proba([text])[0], row, rtol=0, atol=1e-9)


def test_a_different_fit_gives_different_scores() -> None:
    # the check above could not pass by returning a constant: the models differ
    first = FastCrisisScores(pipeline()).predict_proba(DANGER)
    other = Pipeline(
        [("features", crisis_detector._vectoriser()), ("lr", LogisticRegression(C=0.01))]
    ).fit(DANGER + ORDINARY * 3, [True] * 5 + [False] * 15)
    assert not np.allclose(first, FastCrisisScores(other).predict_proba(DANGER))


def test_a_pipeline_of_another_shape_is_left_as_it_is() -> None:
    counts = Pipeline(
        [("features", FeatureUnion([("w", CountVectorizer())])), ("lr", LogisticRegression())]
    ).fit(DANGER + ORDINARY, [True] * 5 + [False] * 5)
    assert fast_or_same(counts) is counts
    with pytest.raises(ValueError):
        FastCrisisScores(counts)
    assert fast_or_same(None) is None


@pytest.fixture
def fast_scoring() -> Iterator[None]:
    plain = CrisisDetector.__dict__["load"]
    use_fast_crisis_scoring()
    yield
    CrisisDetector.load = plain  # type: ignore[method-assign]
    CrisisDetector._fast_scoring = False  # type: ignore[attr-defined]


def test_a_loaded_detector_scores_with_the_fast_version(tmp_path: Path, fast_scoring) -> None:
    messages = [
        Message.build(t, "crisis", metadata={"intent": {"crisis_kind": "violence"}})
        for t in DANGER * 3
    ] + [Message.build(t, "greet") for t in ORDINARY * 3]
    storage = LocalModelStorage(tmp_path)
    resource, context = Resource("crisis"), ExecutionContext(GraphSchema({}), "test")
    config = CrisisDetector.get_default_config()
    trained = CrisisDetector.create(config, storage, resource, context)
    trained.train(TrainingData(messages))
    loaded = CrisisDetector.load(config, storage, resource, context)
    assert isinstance(loaded.crisis_model, FastCrisisScores)
    np.testing.assert_allclose(
        loaded.crisis_model.predict_proba(PROBES),
        trained.crisis_model.predict_proba(PROBES),
        rtol=0,
        atol=1e-9,
    )
