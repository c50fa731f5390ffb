"""bot.nlu.mlp: a network that learns what no linear model can, deterministically."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from bot.nlu import mlp

SETTINGS = dict(
    hidden_units=16,
    epochs=300,
    batch_size=4,
    learning_rate=0.01,
    drop_rate=0.0,
    input_drop_rate=0.0,
    l2=0.0,
    seed=0,
)


def test_learns_exclusive_or() -> None:
    # label 1 when exactly one of the two features is present: not linearly separable
    X = csr_matrix([[1, 0], [0, 1], [1, 1], [0, 0]] * 4, dtype=np.float32)
    labels = np.array([1, 1, 0, 0] * 4)
    network = mlp.train(X, labels, 2, **SETTINGS)
    predicted = network.probabilities(X).argmax(axis=1)
    assert (predicted == labels).all()


def test_only_the_rows_of_features_seen_are_trained() -> None:
    # column 2 never occurs: its weights must stay as initialised
    X = csr_matrix([[1, 0, 0], [0, 1, 0]] * 4, dtype=np.float32)
    labels = np.array([0, 1] * 4)
    settings = {**SETTINGS, "epochs": 1}
    untrained = mlp.train(X, labels, 2, **{**settings, "epochs": 0})
    trained = mlp.train(X, labels, 2, **settings)
    assert np.array_equal(trained.hidden[2], untrained.hidden[2])
    assert not np.array_equal(trained.hidden[:2], untrained.hidden[:2])


@pytest.mark.parametrize("drop_rate", [0.0, 0.5])
def test_probabilities_are_a_distribution(drop_rate: float) -> None:
    X = csr_matrix(np.eye(3, dtype=np.float32))
    settings = {**SETTINGS, "drop_rate": drop_rate, "input_drop_rate": drop_rate}
    network = mlp.train(X, np.arange(3), 3, **settings)
    probabilities = network.probabilities(X)
    assert probabilities.shape == (3, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities.argmax(axis=1) == np.arange(3)).all()
