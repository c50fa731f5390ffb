"""SklearnMLPIntentClassifier: scikit-learn's network on Rasa's sentence features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sklearn_mlp_classifier import SklearnMLPIntentClassifier

# three intents, each told apart by one feature column
WORDS = {"greet": 0, "goodbye": 1, "crisis": 2}
CONTEXT = ExecutionContext(GraphSchema({}), "test")
# the toy set is learnt long before Adam's loss stops falling
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def featurized(intent: str | None, column: int, noise: float = 0.0) -> Message:
    message = Message(data={TEXT: f"text {column}", **({INTENT: intent} if intent else {})})
    row = np.zeros((1, 4))
    row[0, column] = 1.0
    row[0, 3] = 0.5 + noise  # a feature every message has
    message.add_features(Features(scipy.sparse.coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "cvf"))
    return message


def component(tmp_path: Path, **config) -> SklearnMLPIntentClassifier:
    (tmp_path / "storage").mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path / "storage")
    defaults = SklearnMLPIntentClassifier.get_default_config()
    config = {**defaults, "hidden_layer_sizes": [8], "binary": False, **config}
    return SklearnMLPIntentClassifier.create(config, storage, Resource("clf"), CONTEXT)


def reload(clf: SklearnMLPIntentClassifier) -> SklearnMLPIntentClassifier:
    return SklearnMLPIntentClassifier.load(clf.config, clf._model_storage, clf._resource, CONTEXT)


@pytest.fixture
def training_data() -> TrainingData:
    return TrainingData([featurized(i, c, n / 10) for i, c in WORDS.items() for n in range(5)])


def probe() -> list[Message]:
    return [featurized(None, c) for c in WORDS.values()]


def test_learns_persists_and_loads(tmp_path: Path, training_data: TrainingData) -> None:
    clf = component(tmp_path, ranking_length=2)
    resource = clf.train(training_data)
    assert [p.name for p in (tmp_path / "storage" / resource.name).iterdir()] == ["mlp.skops"]
    trained = [m.get(INTENT)["name"] for m in clf.process(probe())]
    loaded = reload(clf).process(messages := probe())
    assert [m.get(INTENT)["name"] for m in loaded] == trained == list(WORDS)
    ranking = messages[0].get(INTENT_RANKING_KEY)
    assert len(ranking) == 2
    assert ranking[0]["confidence"] > 0.5 > ranking[1]["confidence"]
    assert messages[0].get(INTENT)["confidence"] == ranking[0]["confidence"]


def test_same_seed_same_predictions(tmp_path: Path, training_data: TrainingData) -> None:
    confidences = []
    for seed in (0, 0, 1):
        clf = component(tmp_path / str(len(confidences)), random_seed=seed, max_iter=20)
        clf.train(training_data)
        confidences.append([m.get(INTENT)["confidence"] for m in reload(clf).process(probe())])
    assert confidences[0] == confidences[1]
    assert confidences[0] != confidences[2]


def test_untrained_component_leaves_the_intent_to_others(tmp_path: Path) -> None:
    clf = component(tmp_path)
    clf.train(TrainingData())
    [message] = reload(clf).process([featurized(None, 0)])
    assert message.get(INTENT) is None


def test_binary_features_as_the_project_network_reads_them(tmp_path: Path) -> None:
    counts = component(tmp_path).feature_matrix(probe()).toarray()
    binary = component(tmp_path, binary=True).feature_matrix(probe()).toarray()
    assert (binary == (counts != 0)).all()
    assert not (binary == counts).all()
