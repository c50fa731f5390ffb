"""ThreadedTrainingRunner: Rasa's training graph runner with dask's threaded scheduler,
independent nodes at the same time, the same results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.exceptions import GraphComponentException
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot.speedups.training_runner import ThreadedTrainingRunner

PAUSE = 0.5


class Work(GraphComponent):
    """A node that takes a while, says when it ran and what it was given."""

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> Work:
        return cls()

    def work(self, **given: Any) -> dict[str, Any]:
        started = time.perf_counter()
        time.sleep(PAUSE)
        return {"given": {k: v["value"] for k, v in given.items()}, "value": len(given),
                "ran": (started, time.perf_counter())}  # fmt: skip


def node(**needs: str) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Work, constructor_name="create", fn="work", config={})


SCHEMA = GraphSchema({"a": node(), "b": node(), "c": node(x="a", y="b")})


def run(runner_class: type, tmp_path: Path) -> dict[str, Any]:
    storage = LocalModelStorage(tmp_path / runner_class.__name__)
    context = ExecutionContext(SCHEMA, "test")
    return runner_class.create(SCHEMA, storage, context, []).run(targets=["a", "b", "c"])


def test_independent_nodes_run_at_once_with_dasks_results(tmp_path: Path) -> None:
    ours, rasas = run(ThreadedTrainingRunner, tmp_path), run(DaskGraphRunner, tmp_path)
    assert {k: v["given"] for k, v in ours.items()} == {k: v["given"] for k, v in rasas.items()}
    assert ours["c"]["given"] == {"x": 0, "y": 0}
    (a_start, a_end), (b_start, b_end) = ours["a"]["ran"], ours["b"]["ran"]
    assert a_start < b_end and b_start < a_end, "a and b did not overlap"
    assert ours["c"]["ran"][0] >= max(a_end, b_end)
    # Rasa's own runner, one node after the other
    (a_start, a_end), (b_start, b_end) = rasas["a"]["ran"], rasas["b"]["ran"]
    assert a_end <= b_start or b_end <= a_start


class Broken(Work):
    def work(self, **given: Any) -> dict[str, Any]:
        raise ValueError("broken node")


@pytest.mark.parametrize("runner_class", [ThreadedTrainingRunner, DaskGraphRunner])
def test_a_failing_node_fails_the_run_as_with_rasas_runner(runner_class, tmp_path) -> None:
    broken = GraphSchema({"a": node(), "b": SchemaNode({"x": "a"}, Broken, "create", "work", {})})
    storage = LocalModelStorage(tmp_path)
    runner = runner_class.create(broken, storage, ExecutionContext(broken, "t"), [])
    with pytest.raises(GraphComponentException, match="node b") as raised:
        runner.run(targets=["b"])
    assert str(raised.value.__cause__) == "broken node"


def test_the_speed_ups_train_through_the_threaded_runner() -> None:
    # bot.cli.rasa (and so bot.cli.train, make train) installs the speed-ups first
    import rasa.model_training

    from bot.speedups import install

    install()
    assert rasa.model_training.DaskGraphRunner is ThreadedTrainingRunner
