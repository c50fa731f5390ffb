"""The trained bot in process, loaded as the server loads it (tests, bench.inprocess)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.paths import ENDPOINTS, ROOT


def project_endpoints():
    """The project's endpoints.yml; callers may swap its tracker store."""
    from rasa.core.utils import AvailableEndpoints

    return AvailableEndpoints.read_endpoints(str(ENDPOINTS))


def load_project_agent(
    model: Path | str, loop: asyncio.AbstractEventLoop, endpoints, runner: type | None = None
):
    """An agent for ``model`` with ``endpoints`` (custom NLG, tracker store), from the
    project root; its graph runs in ``runner``, by default the server's
    (bot/speedups/graph_runner.py)."""
    from rasa.core.agent import load_agent

    from bot.speedups.graph_runner import SequentialGraphRunner, processor_runner

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with processor_runner(runner or SequentialGraphRunner):
            return loop.run_until_complete(load_agent(model_path=str(model), endpoints=endpoints))
    finally:
        os.chdir(cwd)
