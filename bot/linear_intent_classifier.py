"""Rasa's logistic-regression intent classifier: configurable, and quick to load.

Used in place of DIET (issue 4): on this bot's sparse word and character n-gram
features a linear model trains in seconds instead of many minutes, answers in well
under a millisecond and needs no TensorFlow model in memory; on the held-out messages
it is 1.7 points less accurate than Rasa's default DIET (bench/results.md). Four
changes to Rasa's ``LogisticRegressionClassifier``:

- ``C`` is a setting. Rasa fixes scikit-learn's default 1.0, which on ~30 intents
  spreads the probability so thinly that few messages pass FallbackClassifier.
- The model is stored as plain arrays (``.npz``, no pickle). Rasa stores it with
  skops, whose import scans every loaded module for trusted types: 15 s of the
  server's start-up on this machine.
- The feature matrix and the probabilities are computed directly (``_create_X``,
  ``_probabilities``): Rasa's and scikit-learn's general-purpose steps took 4 ms of
  a 9 ms parse.
- ``binary`` features (a setting): a sentence's count features are the sums of its
  tokens', so a repeated word, or a character n-gram every word shares (" i", "ng"),
  would weigh by its count. Present/absent was better at every ``C`` in 5-fold
  cross-validation on data/nlu.yml (accuracy 0.858 against 0.851).

Configuration::

    - name: bot.linear_intent_classifier.LinearIntentClassifier
      C: 100.0         # inverse regularisation strength (scikit-learn's ``C``)
      max_iter: 1000   # lbfgs iterations; the default 100 stops before it converges
      binary: true     # sparse features as 1 (present) or 0, whatever their count
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import coo_matrix, csr_matrix, spmatrix, vstack

logger = logging.getLogger(__name__)

# the fitted state of a multinomial LogisticRegression, enough to predict
FITTED = ("classes_", "coef_", "intercept_", "n_iter_")
ARRAYS_FILE = "logistic_regression.npz"


def _one_row(blocks: list[spmatrix], binary_blocks: int = 0) -> csr_matrix:
    """Side by side, the one-row sentence features of a message (``hstack`` minus checks).

    In the first ``binary_blocks`` blocks, every non-zero value becomes 1.
    """
    parts = [block.tocoo() for block in blocks]
    offsets = np.cumsum([0] + [part.shape[1] for part in parts])
    data = np.concatenate(
        [
            (p.data != 0).astype(p.data.dtype) if i < binary_blocks else p.data
            for i, p in enumerate(parts)
        ]
    )
    columns = np.concatenate(
        [part.col + offset for part, offset in zip(parts, offsets[:-1], strict=True)]
    )
    return csr_matrix((data, columns, [0, len(data)]), shape=(1, offsets[-1]))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    """``LogisticRegressionClassifier`` with ``C``, stored without skops."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0, "binary": False}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))
        self._weights: np.ndarray | None = None

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        """One row per message: its sparse, then its dense sentence features.

        The parent's matrix (with ``binary``, its sparse values set to 1), built with
        one ``hstack`` a message. The parent first has Rasa combine every featurizer's
        sequence and sentence features (deep copies and an ``hstack`` each) and then
        stacks again: 3 ms of a 9 ms parse here.
        """
        rows = []
        for message in messages:
            sentence = [
                f
                for f in message.features
                if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
            ]
            blocks = [f.features for f in sentence if f.is_sparse()]
            binary_blocks = len(blocks) if self.config["binary"] else 0
            blocks += [coo_matrix(f.features) for f in sentence if f.is_dense()]
            if blocks:
                rows.append(_one_row(blocks, binary_blocks))
            else:  # no token, as in "" or " ": the model's answer to no known word at all
                rows.append(csr_matrix((1, getattr(self.clf, "n_features_in_", 0))))
        if len(rows) == 1:
            return rows[0]
        return vstack(rows, format="csr") if rows else csr_matrix((0, 0))

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``intent`` and ``intent_ranking`` (as the parent: names and confidences)."""
        if not hasattr(self.clf, "coef_") or not messages:  # never trained: leave the intent
            return messages
        probabilities = self._probabilities(self._create_X(messages))
        names = [str(name) for name in self.clf.classes_]
        limit = self.config[RANKING_LENGTH]
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row, kind="stable")
            ranking = [{"name": names[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:limit] if limit > 0 else ranking, True)
        return messages

    def _probabilities(self, X: csr_matrix) -> np.ndarray:
        """``predict_proba`` without scikit-learn's per-call input checks (1 ms here).

        With more than two intents lbfgs fits a multinomial model, whose probabilities
        are the softmax of the linear scores; anything else goes to scikit-learn.
        """
        if self.clf.coef_.shape[0] < 3 or self.clf.solver == "liblinear":
            return self.clf.predict_proba(X)
        if self._weights is None:  # (features, intents), C-ordered: 40x faster product
            self._weights = np.ascontiguousarray(self.clf.coef_.T)
        scores = np.asarray(X @ self._weights) + self.clf.intercept_
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        return scores / scores.sum(axis=1, keepdims=True)

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / ARRAYS_FILE, **{k: getattr(self.clf, k) for k in FITTED})

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        component = cls(config, execution_context.node_name, model_storage, resource)
        with ExitStack() as stack:
            try:
                directory = stack.enter_context(model_storage.read_from(resource))
            except ValueError:  # Rasa's way of saying "never trained" (no examples)
                logger.debug(f"{cls.__name__}: no trained model in '{resource.name}'.")
                return component
            # a missing or broken file is an error, not an untrained model
            with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
                for key in FITTED:
                    setattr(component.clf, key, arrays[key])
        component.clf.n_features_in_ = component.clf.coef_.shape[1]
        return component

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        # the storage format: a model cached in another format must not be reused
        return ARRAYS_FILE
