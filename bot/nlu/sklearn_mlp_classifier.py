"""An intent classifier: scikit-learn's ``MLPClassifier`` on the sentence features.

The same network shape as ``bot.nlu.mlp_intent_classifier`` (one hidden layer on the
message's sparse word and character n-gram features), trained by scikit-learn
instead of the project's numpy code, to tell whether that code earns its keep. It
reads the same feature matrix (``sentence_feature_matrix``) and answers with the same
``intent`` and ``intent_ranking``; like Rasa's ``LogisticRegressionClassifier`` it is
stored with skops, not pickle, and refuses a file holding types it does not trust.

Configuration, the defaults. All but the hidden layer and ``binary`` are
scikit-learn's; the hidden layer is the project network's::

    - name: bot.nlu.sklearn_mlp_classifier.SklearnMLPIntentClassifier
      hidden_layer_sizes: [256]  # units of each hidden layer
      alpha: 0.0001              # L2 regularisation of the weights
      max_iter: 200              # at most this many passes (Adam stops sooner on a plateau)
      learning_rate_init: 0.001  # Adam's
      batch_size: auto           # min(200, number of examples)
      random_seed: 0             # the same data and seed give the same model
      binary: true               # sparse features as 1 (present) or 0, whatever their count
      ranking_length: 10         # intents in ``intent_ranking``; 0 for all
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix
from sklearn.neural_network import MLPClassifier

from bot.nlu.mlp_intent_classifier import sentence_feature_matrix

logger = logging.getLogger(__name__)

MODEL_FILE = "mlp.skops"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SklearnMLPIntentClassifier(GraphComponent, IntentClassifier):
    """Intents from scikit-learn's ``MLPClassifier`` on the message's sentence features."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "skops"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "hidden_layer_sizes": [256],
            "alpha": 0.0001,
            "max_iter": 200,
            "learning_rate_init": 0.001,
            "batch_size": "auto",
            "random_seed": 0,
            "binary": True,
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        clf: MLPClassifier | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.clf = clf

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SklearnMLPIntentClassifier:
        return cls(config, model_storage, resource)

    def _new_classifier(self) -> MLPClassifier:
        return MLPClassifier(
            hidden_layer_sizes=tuple(self.config["hidden_layer_sizes"]),
            alpha=self.config["alpha"],
            max_iter=self.config["max_iter"],
            learning_rate_init=self.config["learning_rate_init"],
            batch_size=self.config["batch_size"],
            random_state=self.config["random_seed"],
        )

    def feature_matrix(self, messages: list[Message]) -> csr_matrix:
        """One row per message, as the project's network reads them."""
        width = getattr(self.clf, "n_features_in_", 0)  # 0 before training
        return sentence_feature_matrix(messages, self.config["binary"], width)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug(f"{type(self).__name__}: no intent examples, nothing to train.")
            return self._resource
        self.clf = self._new_classifier()
        self.clf.fit(self.feature_matrix(examples), [e.get(INTENT) for e in examples])
        # the optimiser's state only serves further training, and skops does not trust it
        del self.clf._optimizer
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``intent`` and ``intent_ranking``: names and confidences, best first."""
        if self.clf is None or not messages:  # never trained: leave the intent
            return messages
        probabilities = self.clf.predict_proba(self.feature_matrix(messages))
        limit = self.config[RANKING_LENGTH]
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row, kind="stable")
            ranking = [
                {"name": str(self.clf.classes_[i]), "confidence": float(row[i])} for i in order
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:limit] if limit > 0 else ranking, True)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.clf, directory / MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SklearnMLPIntentClassifier:
        import skops.io as sio

        with ExitStack() as stack:
            try:
                directory = stack.enter_context(model_storage.read_from(resource))
            except ValueError:  # Rasa's way of saying "never trained" (no examples)
                logger.debug(f"{cls.__name__}: no trained model in '{resource.name}'.")
                return cls(config, model_storage, resource)
            path = directory / MODEL_FILE
            untrusted = sio.get_untrusted_types(file=path)
            if untrusted:  # an error, not an untrained model: the bot must not run without it
                raise ValueError(f"{path} holds types skops does not trust: {untrusted}")
            clf = sio.load(path, trusted=[])
        return cls(config, model_storage, resource, clf)
