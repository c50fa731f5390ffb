"""SentenceCountVectorsFeaturizer: the parent's sentence features, and no others."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.paths import ROOT
from bot.speedups.sentence_featurizer import SentenceCountVectorsFeaturizer
from bot.testing.nlu_data import load_examples

ODD = ["", "   ", "42 times in 2024!!", "héllo wörld 💛", "zzzqqq xyzzy", "cry " * 50, "I"]
# the bot's two featurizers (config.yml), and the parent's options that change counts
CONFIGS = [
    {"use_lemma": True, "min_ngram": 1, "max_ngram": 2},
    {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
    {"analyzer": "char", "min_ngram": 1, "max_ngram": 3, "lowercase": False},
    {"OOV_token": "oov", "OOV_words": ["cry"], "stop_words": "english"},
]


def tokenized(texts: list[str]) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={TEXT: text}) for text in texts]
    tokenizer.process(messages)
    return messages


def featurizer(cls, tmp_path: Path, config: dict) -> CountVectorsFeaturizer:
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "cvf")
    return cls.create({**cls.get_default_config(), **config}, storage, Resource("cvf"), context)


def features(message: Message, kind: str) -> list:
    return [f for f in message.features if f.attribute == TEXT and f.type == kind]


@pytest.fixture(scope="module")
def training_data():
    data = load_data(str(ROOT / "data/nlu.yml"))
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(data)
    return data


@pytest.mark.parametrize("config", CONFIGS)
def test_sentence_features_are_the_parents(tmp_path: Path, training_data, config) -> None:
    ours = featurizer(SentenceCountVectorsFeaturizer, tmp_path / "ours", config)
    rasas = featurizer(CountVectorsFeaturizer, tmp_path / "rasas", config)
    ours.train(training_data)
    rasas.train(training_data)
    loaded = SentenceCountVectorsFeaturizer.load(
        ours._config, ours._model_storage, ours._resource, ExecutionContext(GraphSchema({}), "x")
    )
    texts = [t for t, _ in load_examples()] + ODD
    for text in texts:
        [expected] = rasas.process(tokenized([text]))
        want = features(expected, FEATURE_TYPE_SENTENCE)
        for component in (ours, loaded):
            [message] = component.process(tokenized([text]))
            assert not features(message, FEATURE_TYPE_SEQUENCE)
            got = features(message, FEATURE_TYPE_SENTENCE)
            assert len(got) == len(want), text
            for g, w in zip(got, want, strict=True):
                assert g.features.shape == w.features.shape
                assert g.features.dtype == w.features.dtype
                assert np.array_equal(g.features.col, w.features.col), text
                assert np.array_equal(g.features.data, w.features.data), text
                assert g.origin == w.origin


def test_an_untrained_featurizer_sets_nothing(tmp_path: Path) -> None:
    ours = featurizer(SentenceCountVectorsFeaturizer, tmp_path, {})
    [message] = ours.process(tokenized(["hello there"]))
    assert not message.features
