"""LinearIntentClassifier: Rasa's logistic regression with ``C``, and a cheaper feature matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.linear_intent_classifier import LinearIntentClassifier

# three intents, each told apart by one feature column
WORDS = {"greet": 0, "goodbye": 1, "crisis": 2}


def featurized(intent: str | None, column: int, dense: bool = False) -> Message:
    message = Message(data={TEXT: f"text {column}", **({INTENT: intent} if intent else {})})
    row = np.zeros((1, 4))
    row[0, column] = 1.0
    row[0, 3] = 0.5  # a feature every message has
    message.add_features(Features(scipy.sparse.coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "cvf"))
    # a second featurizer, as the bot's character n-grams: the column order matters
    chars = scipy.sparse.coo_matrix([[float(column), 2.0]])
    message.add_features(Features(chars, FEATURE_TYPE_SENTENCE, TEXT, "chars"))
    if dense:
        message.add_features(Features(np.array([[0.25, -1.0]]), FEATURE_TYPE_SENTENCE, TEXT, "d"))
    return message


def component(cls, tmp_path: Path, **config) -> LinearIntentClassifier:
    (tmp_path / "storage").mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path / "storage")
    context = ExecutionContext(GraphSchema({}), "test")
    return cls.create({**cls.get_default_config(), **config}, storage, Resource("clf"), context)


@pytest.fixture
def training_data() -> TrainingData:
    return TrainingData([featurized(i, c) for i, c in WORDS.items() for _ in range(3)])


@pytest.mark.parametrize("dense", [False, True])
def test_feature_matrix_is_the_parents(tmp_path: Path, dense: bool) -> None:
    messages = [featurized(None, c, dense) for c in (0, 2, 1)]
    ours = component(LinearIntentClassifier, tmp_path)._create_X(messages)
    rasas = component(LogisticRegressionClassifier, tmp_path)._create_X(messages)
    assert ours.shape == rasas.shape == (3, 8 if dense else 6)
    assert (ours.toarray() == rasas.toarray()).all()


@pytest.mark.parametrize("dense", [False, True])
def test_binary_counts_presence_in_sparse_features_only(tmp_path: Path, dense: bool) -> None:
    messages = [featurized(None, c, dense) for c in (0, 2)]
    counts = component(LinearIntentClassifier, tmp_path)._create_X(messages).toarray()
    binary = component(LinearIntentClassifier, tmp_path, binary=True)._create_X(messages)
    sparse_columns = 6  # the two sparse blocks; the dense block, if any, follows
    assert (counts[:, :sparse_columns] != binary.toarray()[:, :sparse_columns]).any()
    assert (binary.toarray()[:, :sparse_columns] == (counts[:, :sparse_columns] != 0)).all()
    assert (binary.toarray()[:, sparse_columns:] == counts[:, sparse_columns:]).all()


def test_c_reaches_scikit_learn_and_sharpens_confidence(
    tmp_path: Path, training_data: TrainingData
) -> None:
    confidences = {}
    for strength in (0.1, 100.0):
        clf = component(LinearIntentClassifier, tmp_path / str(strength), C=strength)
        assert clf.clf.get_params()["C"] == strength
        clf.train(training_data)
        [message] = clf.process([featurized(None, WORDS["crisis"])])
        assert message.get(INTENT)["name"] == "crisis"
        confidences[strength] = message.get(INTENT)["confidence"]
    assert confidences[100.0] > confidences[0.1]


def test_trained_component_loads_from_plain_arrays(
    tmp_path: Path, training_data: TrainingData
) -> None:
    clf = component(LinearIntentClassifier, tmp_path, C=10.0)
    resource = clf.train(training_data)
    stored = [p.name for p in (tmp_path / "storage" / resource.name).iterdir()]
    assert stored == ["logistic_regression.npz"]  # no skops, no pickle
    loaded = LinearIntentClassifier.load(
        clf.config, clf._model_storage, resource, ExecutionContext(GraphSchema({}), "test")
    )
    probe = [featurized(None, c) for c in (0, 1, 2)]
    [message, *_] = loaded.process(probe)
    assert message.get(INTENT)["name"] == "greet"
    assert len(message.get("intent_ranking")) == 3
    X = clf._create_X(probe)
    # the loaded model's shortcut gives scikit-learn's probabilities
    assert np.allclose(loaded._probabilities(X), clf.clf.predict_proba(X))
    confidences = [r["confidence"] for r in message.get("intent_ranking")]
    assert confidences == sorted(confidences, reverse=True)


def test_untrained_component_leaves_the_intent_to_others(tmp_path: Path) -> None:
    clf = component(LinearIntentClassifier, tmp_path)
    clf.train(TrainingData())
    resource = clf._resource
    loaded = LinearIntentClassifier.load(
        clf.config, clf._model_storage, resource, ExecutionContext(GraphSchema({}), "test")
    )
    [message] = loaded.process([featurized(None, 0)])
    assert message.get(INTENT) is None


def test_a_message_without_features_gets_the_no_known_word_answer(
    tmp_path: Path, training_data: TrainingData
) -> None:
    # "" or " " has no tokens, so the featurizers give it no features at all
    clf = component(LinearIntentClassifier, tmp_path, C=10.0)
    clf.train(training_data)
    [message] = clf.process([Message(data={TEXT: " "})])
    intercepts = np.exp(clf.clf.intercept_) / np.exp(clf.clf.intercept_).sum()
    assert message.get(INTENT)["name"] == clf.clf.classes_[intercepts.argmax()]
    assert np.isclose(message.get(INTENT)["confidence"], intercepts.max())
