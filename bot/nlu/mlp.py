"""A one-hidden-layer network on sparse inputs, trained and run in numpy.

The intent classifier's model (``bot.nlu.mlp_intent_classifier``). It is what DIET
becomes without transformer layers (sparse features, a dense layer, dropout, a
softmax over the intents), small enough that numpy trains it in seconds: no
TensorFlow graph to build at training time or to load at start-up.

Training is mini-batch Adam on the cross-entropy with L2 regularisation, dropout on
the inputs and on the hidden layer. A batch touches a few hundred of the ~10,000
input features, so only their rows of the first layer are updated ("lazy" Adam, as
TensorFlow's ``LazyAdam``): a dense update of the whole layer every step would take
most of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-7


@dataclass
class Network:
    """The trained weights: ``softmax(relu(x @ hidden + hidden_bias) @ output + output_bias)``."""

    hidden: np.ndarray  # (features, hidden units)
    hidden_bias: np.ndarray
    output: np.ndarray  # (hidden units, classes)
    output_bias: np.ndarray

    def probabilities(self, X: csr_matrix) -> np.ndarray:
        """One row of class probabilities per row of ``X``."""
        # in the weights' type: float64 features would make scipy copy the whole
        # first layer to float64 on every call (3 ms here, against 0.03)
        X = X.astype(self.hidden.dtype, copy=False)
        activations = np.maximum(np.asarray(X @ self.hidden) + self.hidden_bias, 0.0)
        return _softmax(activations @ self.output + self.output_bias)

    def arrays(self) -> dict[str, np.ndarray]:
        return dict(self.__dict__)


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    return scores / scores.sum(axis=1, keepdims=True)


class _Adam:
    """Adam's moment estimates for one array; ``rows`` limits a step to those rows."""

    def __init__(self, weights: np.ndarray, learning_rate: float) -> None:
        self.weights = weights
        self.learning_rate = learning_rate
        self.first = np.zeros_like(weights)
        self.second = np.zeros_like(weights)

    def step(self, gradient: np.ndarray, t: int, rows: np.ndarray | None = None) -> None:
        """One Adam step; ``gradient`` is overwritten.

        In place on the gathered rows, with as few temporary arrays as the update
        allows: the rows of a batch's features are most of the work of training.
        """
        beta1, beta2 = ADAM_BETAS
        where = slice(None) if rows is None else rows
        first = self.first[where]  # a copy when rows are given, a view otherwise
        first *= beta1
        first += (1 - beta1) * gradient
        second = self.second[where]
        second *= beta2
        np.multiply(gradient, gradient, out=gradient)
        gradient *= 1 - beta2
        second += gradient
        if rows is not None:
            self.first[rows], self.second[rows] = first, second
        # the step, in the gradient's memory: first / (sqrt(second) + epsilon), corrected
        np.multiply(second, 1 / (1 - beta2**t), out=gradient)
        np.sqrt(gradient, out=gradient)
        gradient += ADAM_EPSILON
        np.divide(first, gradient, out=gradient)
        gradient *= self.learning_rate / (1 - beta1**t)
        self.weights[where] -= gradient


def train(
    X: csr_matrix,
    labels: np.ndarray,
    n_classes: int,
    *,
    hidden_units: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    drop_rate: float,
    input_drop_rate: float,
    l2: float,
    seed: int,
) -> Network:
    """Fit a network to rows ``X`` labelled ``0 .. n_classes - 1``; same seed, same network."""
    rng = np.random.default_rng(seed)
    X = csr_matrix(X, dtype=np.float32)
    n_features = X.shape[1]
    # scaled so that a typical row's sum of active weights has unit variance
    active = max(X.getnnz(axis=1).mean(), 1.0) if X.shape[0] else 1.0
    network = Network(
        hidden=(rng.standard_normal((n_features, hidden_units)) / np.sqrt(active)).astype(
            np.float32
        ),
        hidden_bias=np.zeros(hidden_units, np.float32),
        output=(rng.standard_normal((hidden_units, n_classes)) / np.sqrt(hidden_units)).astype(
            np.float32
        ),
        output_bias=np.zeros(n_classes, np.float32),
    )
    optimisers = {name: _Adam(w, learning_rate) for name, w in network.arrays().items()}
    t = 0
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            t += 1
            _step(
                network, optimisers, X[batch], labels[batch], t, rng, drop_rate, input_drop_rate, l2
            )
    return network


def _step(
    network: Network,
    optimisers: dict[str, _Adam],
    X: csr_matrix,
    labels: np.ndarray,
    t: int,
    rng: np.random.Generator,
    drop_rate: float,
    input_drop_rate: float,
    l2: float,
) -> None:
    """One Adam step on one batch: forward with dropout, backward, update."""
    # only the features present in the batch: their rows are the ones with a gradient
    rows = np.unique(X.indices)
    X = X[:, rows]
    if input_drop_rate:
        X.data *= (rng.random(X.nnz) >= input_drop_rate) / (1 - input_drop_rate)
    hidden = network.hidden[rows]
    pre = np.asarray(X @ hidden) + network.hidden_bias
    activations = np.maximum(pre, 0.0)
    keep = (rng.random(activations.shape) >= drop_rate) / (1 - drop_rate)
    activations *= keep
    probabilities = _softmax(activations @ network.output + network.output_bias)

    # gradient of the mean cross-entropy
    d_scores = probabilities
    d_scores[np.arange(len(labels)), labels] -= 1
    d_scores /= len(labels)
    d_pre = (d_scores @ network.output.T) * keep * (pre > 0)
    optimisers["output"].step(activations.T @ d_scores + l2 * network.output, t)
    optimisers["output_bias"].step(d_scores.sum(axis=0), t)
    optimisers["hidden"].step(np.asarray(X.T @ d_pre) + l2 * hidden, t, rows)
    optimisers["hidden_bias"].step(d_pre.sum(axis=0), t)
