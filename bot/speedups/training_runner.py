"""Training with independent graph nodes on several cores at once.

``rasa train`` runs the training graph with ``dask.get``, dask's synchronous
scheduler: one node after the other. In this bot's graph the two slowest nodes, the
intent network (``MLPIntentClassifier``) and the crisis detector, need only the
featurised training data, not each other, and both spend most of their time where
Python lets go of the GIL (scipy's sparse products, numpy, scikit-learn's solver).
``ThreadedTrainingRunner`` is Rasa's ``DaskGraphRunner`` with dask's threaded
scheduler instead: the same nodes, inputs and outputs, the same training cache, with
up to ``BOT_TRAIN_WORKERS`` (default: the number of CPUs, at most 4) nodes at a time.
Inference keeps its own runner (``graph_runner``).
"""

from __future__ import annotations

import os
from typing import Any

import dask.threaded
import rasa.model_training
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


def workers() -> int:
    configured = os.environ.get("BOT_TRAIN_WORKERS", "").strip()
    if configured:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


class ThreadedTrainingRunner(DaskGraphRunner):
    """``DaskGraphRunner`` with dask's threaded scheduler."""

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        run_graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        try:
            return dict(dask.threaded.get(run_graph, run_targets, num_workers=workers()))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e


def use_threaded_training() -> None:
    """Train with :class:`ThreadedTrainingRunner` (``rasa.model_training`` picks the
    runner class by this name)."""
    rasa.model_training.DaskGraphRunner = ThreadedTrainingRunner  # type: ignore[misc]
