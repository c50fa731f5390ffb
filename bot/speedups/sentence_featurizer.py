"""Rasa's CountVectorsFeaturizer, setting only the sentence features, and quickly.

This bot's only reader of count features is ``MLPIntentClassifier``, which takes
the sentence features (the counts over the whole message). Rasa's featurizer also
builds sequence features (one row per token) and runs scikit-learn's ``transform``
for both, with its input checks and matrix conversions: together the two featurizers
took about a fifth of the server's CPU time under load (issue 4). This one looks each
n-gram of the message up in the fitted vocabulary itself and builds the one-row
matrix that ``transform`` would have built.

Training and configuration are the parent's. Without sequence features it does not
suit components that read them (DIET, TED, the ``ResponseSelector``): use Rasa's
``CountVectorsFeaturizer`` with those. Configuration, as for that one::

    - name: bot.speedups.sentence_featurizer.SentenceCountVectorsFeaturizer
      analyzer: char_wb
      min_ngram: 2
      max_ngram: 4
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """``CountVectorsFeaturizer`` without sequence features; sentence features direct."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # per fitted vectorizer: its analyzer (text -> n-grams), built once
        self._analyzers: dict[int, Callable[[str], list[str]]] = {}

    def process(self, messages: list[Message]) -> list[Message]:
        """Set each attribute's sentence features, as the parent sets them.

        Untrained, the featurizer has no vectorizers and sets nothing.
        """
        for message in messages:
            for attribute in self._attributes:
                tokens = self._get_processed_message_tokens_by_attribute(message, attribute)
                sentence = self._sentence_features(attribute, tokens)
                self.add_features_to_message(None, sentence, attribute, message)
        return messages

    def _sentence_features(self, attribute: str, tokens: list[str]) -> coo_matrix | None:
        """``vectorizer.transform([" ".join(tokens)])``, as the parent computes it."""
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer or not tokens or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
            return None
        vocabulary: dict[str, int] | None = getattr(vectorizer, "vocabulary_", None)
        if vocabulary is None:  # not fitted: the parent's way, including its error
            return self._create_features(attribute, [tokens])[1][0]
        analyze = self._analyzers.get(id(vectorizer))
        if analyze is None:
            analyze = self._analyzers[id(vectorizer)] = vectorizer.build_analyzer()
        counts = Counter(
            column
            for ngram in analyze(" ".join(tokens))
            if (column := vocabulary.get(ngram)) is not None
        )
        columns = np.array(sorted(counts), dtype=np.int32)
        values = np.array([counts[c] for c in columns], dtype=vectorizer.dtype)
        if vectorizer.binary:
            values[:] = 1
        rows = np.zeros(len(columns), dtype=np.int32)
        return coo_matrix((values, (rows, columns)), shape=(1, len(vocabulary)))
