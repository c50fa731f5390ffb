"""Run a trained model's graph in plain Python, in place of dask (issue 4).

Rasa runs the prediction graph through dask twice a message (NLU, then every action
prediction), and on this bot's small graph dask's scheduling (ordering, task states,
a thread-pool shaped loop) costs about as much as the graph's components: 3 ms of
CPU a message (12.2 against 9.3 ms in ``python -m bench.inprocess --runner dask
sequential``). ``SequentialGraphRunner`` is ``DaskGraphRunner`` with the
same nodes, inputs and results, but it works out each target set's node order once
and then calls the nodes one after the other.

Rasa chooses its runner inside ``MessageProcessor`` without a setting, so
``use_sequential_runner`` swaps the class where the processor looks it up;
``bot.cli.rasa`` does that before Rasa starts (``processor_runner`` does it for a
while, to compare runners). Training keeps dask.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.runner.interface import GraphRunner
from rasa.engine.storage.storage import ModelStorage

# one step of a plan: a node and the names whose outputs it takes
Step = tuple[str, tuple[str, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` without dask: nodes called in a cached topological order."""

    def __init__(
        self,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> None:
        super().__init__(graph_schema, model_storage, execution_context, hooks)
        self._plans: dict[tuple[tuple[str, ...], frozenset[str]], list[Step]] = {}

    def _plan(self, targets: tuple[str, ...], given: frozenset[str]) -> list[Step]:
        """The nodes the targets depend on, each after everything it needs.

        A ``given`` name (an input) is not computed, nor is what only it needs.
        """
        key = (targets, given)
        if key in self._plans:
            return self._plans[key]
        nodes = self._graph_schema.nodes
        steps: list[Step] = []
        placed: set[str] = set(given)

        def place(name: str) -> None:
            # graphs are a few dozen nodes deep at most: recursion is fine
            if name in placed or name not in nodes:  # not a node: an input placeholder
                return
            placed.add(name)
            needs = tuple(nodes[name].needs.values())
            for need in needs:
                place(need)
            steps.append((name, needs))

        for target in targets:
            place(target)
        self._plans[key] = steps
        return steps

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        """Runs the graph (see ``GraphRunner.run``); the same results as dask's."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        # as in dask's graph, an input is the (name, value) pair a node would return
        outputs: dict[str, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for name, needs in self._plan(run_targets, frozenset(outputs)):
                # a name nothing provides reaches the node as a bare string, as with
                # dask; the node then raises GraphRunError for its missing input
                arguments = [outputs.get(need, need) for need in needs]
                outputs[name] = self._instantiated_nodes[name](*arguments)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        unknown = [target for target in run_targets if target not in outputs]
        if unknown:
            raise GraphRunError(f"No node or input named {unknown} in the graph.")
        return dict(outputs[target] for target in run_targets)


def use_sequential_runner() -> None:
    """Make Rasa's message processor load models into ``SequentialGraphRunner``."""
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]


@contextmanager
def processor_runner(runner: type[GraphRunner]) -> Iterator[None]:
    """Models that Rasa's message processor loads meanwhile load into ``runner``."""
    previous = rasa.core.processor.DaskGraphRunner
    rasa.core.processor.DaskGraphRunner = runner  # type: ignore[misc]
    try:
        yield
    finally:
        rasa.core.processor.DaskGraphRunner = previous  # type: ignore[misc]
