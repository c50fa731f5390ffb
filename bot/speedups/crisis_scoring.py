"""The crisis detector's sentence scores without scikit-learn's per-call overhead.

``CrisisDetector`` scores the pieces of every message (the message, its sentences)
with a scikit-learn pipeline: word and character tf-idf (``FeatureUnion``) into a
binary ``LogisticRegression``. For the one to five short pieces of a chat message,
that pipeline's own work is small; what costs is its machinery: joblib's dispatch in
``FeatureUnion``, scipy's checks on every intermediate sparse matrix, and
``check_is_fitted`` at each step. Measured here on the benchmark's conversations:
2.9 ms a message of the 6 ms the whole NLU graph takes, the largest part of it.

:class:`FastCrisisScores` computes the same numbers straight from the fitted
pipeline: the vectorisers' own analysers cut the text into terms, so tokenising is
scikit-learn's; the terms' counts give ``1 + log(count)`` times idf per block, each
block L2-normalised, dotted with the regression's weights, through the logistic
function. ``tests/speedups/test_crisis_scoring.py`` checks it against
``predict_proba`` to 1e-9; :func:`use_fast_crisis_scoring` puts it in place of the
pipeline when a CrisisDetector loads, and a pipeline of any other shape is left as it
is.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


class _Block:
    """One tf-idf vectoriser of the union, with the regression's weights of its terms."""

    def __init__(self, vectoriser: TfidfVectorizer, weights: np.ndarray) -> None:
        self.analyse: Callable[[str], list[str]] = vectoriser.build_analyzer()
        self.vocabulary: dict[str, int] = vectoriser.vocabulary_
        self.idf = np.asarray(vectoriser.idf_, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)

    def decision(self, text: str) -> float:
        counts = Counter(self.analyse(text))
        found = [(self.vocabulary.get(term), n) for term, n in counts.items()]
        found = [(j, n) for j, n in found if j is not None]
        if not found:
            return 0.0
        columns = np.fromiter((j for j, _ in found), dtype=np.intp, count=len(found))
        tf = 1.0 + np.log(np.fromiter((n for _, n in found), dtype=np.float64, count=len(found)))
        values = tf * self.idf[columns]
        return float(values @ self.weights[columns]) / float(np.sqrt(values @ values))


def _fits(pipeline: Any) -> bool:
    """Whether ``pipeline`` has the one shape this module reproduces exactly."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return False
    union, regression = (step for _, step in pipeline.steps)
    return (
        isinstance(union, FeatureUnion)
        and not union.transformer_weights
        and isinstance(regression, LogisticRegression)
        and len(regression.classes_) == 2
        and all(
            isinstance(v, TfidfVectorizer)
            and v.sublinear_tf
            and v.use_idf
            and v.norm == "l2"
            and not v.binary
            for _, v in union.transformer_list
        )
    )


class FastCrisisScores:
    """``predict_proba`` and ``classes_`` of a fitted tf-idf + logistic regression
    pipeline (the shape ``CrisisDetector`` trains), in plain Python and numpy."""

    def __init__(self, pipeline: Pipeline) -> None:
        if not _fits(pipeline):
            raise ValueError("FastCrisisScores needs tf-idf vectorisers and a binary regression")
        union, regression = (step for _, step in pipeline.steps)
        self.pipeline = pipeline
        self.classes_ = regression.classes_
        self._intercept = float(regression.intercept_[0])
        coefficients = regression.coef_[0]
        self._blocks: list[_Block] = []
        offset = 0
        for _, vectoriser in union.transformer_list:
            size = len(vectoriser.vocabulary_)
            self._blocks.append(_Block(vectoriser, coefficients[offset : offset + size]))
            offset += size

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        decisions = np.array(
            [self._intercept + sum(b.decision(t) for b in self._blocks) for t in texts]
        )
        positive = 1.0 / (1.0 + np.exp(-decisions))
        return np.column_stack([1.0 - positive, positive])


def fast_or_same(pipeline: Any) -> Any:
    """:class:`FastCrisisScores` for a pipeline it reproduces, else ``pipeline``."""
    return FastCrisisScores(pipeline) if _fits(pipeline) else pipeline


def use_fast_crisis_scoring() -> None:
    """Score with :class:`FastCrisisScores` in every CrisisDetector loaded from now on."""
    from bot.nlu.crisis_detector import CrisisDetector

    if getattr(CrisisDetector, "_fast_scoring", False):
        return
    plain_load = CrisisDetector.load.__func__  # type: ignore[attr-defined]

    # Rasa reads load's signature and type hints: wraps() hands it the original's
    @functools.wraps(plain_load)
    def load(cls, *args: Any, **kwargs: Any) -> CrisisDetector:
        detector = plain_load(cls, *args, **kwargs)
        detector.crisis_model = fast_or_same(detector.crisis_model)
        return detector

    CrisisDetector.load = classmethod(load)  # type: ignore[method-assign]
    CrisisDetector._fast_scoring = True  # type: ignore[attr-defined]
