"""MLPIntentClassifier: the network on Rasa's sentence features, stored as plain arrays."""

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

from bot.nlu.mlp_intent_classifier import MLPIntentClassifier

# three intents, each told apart by one feature column
WORDS = {"greet": 0, "goodbye": 1, "crisis": 2}
CONTEXT = ExecutionContext(GraphSchema({}), "test")


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


def component(cls, tmp_path: Path, **config):
    (tmp_path / "storage").mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path / "storage")
    return cls.create({**cls.get_default_config(), **config}, storage, Resource("clf"), CONTEXT)


def reload(clf: MLPIntentClassifier) -> MLPIntentClassifier:
    return MLPIntentClassifier.load(clf.config, clf._model_storage, clf._resource, CONTEXT)


@pytest.fixture
def training_data() -> TrainingData:
    return TrainingData([featurized(i, c) for i, c in WORDS.items() for _ in range(3)])


@pytest.mark.parametrize("dense", [False, True])
def test_feature_matrix_is_rasas(tmp_path: Path, dense: bool) -> None:
    messages = [featurized(None, c, dense) for c in (0, 2, 1)]
    ours = component(MLPIntentClassifier, tmp_path, binary=False).feature_matrix(messages)
    rasas = component(LogisticRegressionClassifier, tmp_path)._create_X(messages)
    assert ours.shape == rasas.shape == (3, 8 if dense else 6)
    assert (ours.toarray() == rasas.toarray()).all()


@pytest.mark.parametrize("dense", [False, True])
def test_binary_counts_presence_in_sparse_features_only(tmp_path: Path, dense: bool) -> None:
    messages = [featurized(None, c, dense) for c in (0, 2)]
    counts = component(MLPIntentClassifier, tmp_path, binary=False).feature_matrix(messages)
    binary = component(MLPIntentClassifier, tmp_path).feature_matrix(messages).toarray()
    counts = counts.toarray()
    sparse_columns = 6  # the two sparse blocks; the dense block, if any, follows
    assert (counts[:, :sparse_columns] != binary[:, :sparse_columns]).any()
    assert (binary[:, :sparse_columns] == (counts[:, :sparse_columns] != 0)).all()
    assert (binary[:, sparse_columns:] == counts[:, sparse_columns:]).all()


def test_trained_component_loads_from_plain_arrays(
    tmp_path: Path, training_data: TrainingData
) -> None:
    clf = component(MLPIntentClassifier, tmp_path, ranking_length=2)
    resource = clf.train(training_data)
    stored = [p.name for p in (tmp_path / "storage" / resource.name).iterdir()]
    assert stored == ["mlp.npz"]  # no pickle
    loaded = reload(clf)
    probe = [featurized(None, c) for c in WORDS.values()]
    assert [m.get(INTENT)["name"] for m in loaded.process(probe)] == list(WORDS)
    ranking = probe[0].get("intent_ranking")
    assert len(ranking) == 2
    assert ranking[0]["confidence"] > 0.5 > ranking[1]["confidence"]
    X = clf.feature_matrix(probe)
    assert np.allclose(loaded.network.probabilities(X), clf.network.probabilities(X))


def test_same_seed_same_model(tmp_path: Path, training_data: TrainingData) -> None:
    weights = []
    for seed in (0, 0, 1):
        clf = component(MLPIntentClassifier, tmp_path / str(len(weights)), random_seed=seed)
        clf.train(training_data)
        weights.append(clf.network.hidden)
    assert np.array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[0], weights[2])


def test_untrained_component_leaves_the_intent_to_others(tmp_path: Path) -> None:
    clf = component(MLPIntentClassifier, tmp_path)
    clf.train(TrainingData())
    [message] = reload(clf).process([featurized(None, 0)])
    assert message.get(INTENT) is None


def test_a_message_without_features_gets_the_no_known_word_answer(
    tmp_path: Path, training_data: TrainingData
) -> None:
    # "" or " " has no tokens, so the featurizers give it no features at all
    clf = component(MLPIntentClassifier, tmp_path)
    clf.train(training_data)
    [message] = clf.process([Message(data={TEXT: " "})])
    expected = clf.network.probabilities(scipy.sparse.csr_matrix((1, 6)))[0]
    assert message.get(INTENT)["name"] == clf.intents[expected.argmax()]
    assert np.isclose(message.get(INTENT)["confidence"], expected.max())
