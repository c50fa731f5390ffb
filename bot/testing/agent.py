"""The trained bot in process, loaded as the server loads it (tests, bench.inprocess)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from bot.paths import ENDPOINTS, ROOT


def project_endpoints():
    """The project's endpoints.yml; callers may swap its tracker store."""
    from rasa.core.utils import AvailableEndpoints

    return AvailableEndpoints.read_endpoints(str(ENDPOINTS))


def log_as_rasa_run() -> None:
    """Logging as ``rasa run`` sets it up (INFO, structlog at INFO) and no message text
    in it: without this, structlog's default prints every parse with its text."""
    import rasa.utils.common
    import rasa.utils.log_utils

    from bot.log_privacy import install

    rasa.utils.common.configure_logging_and_warnings(logging.INFO)
    rasa.utils.log_utils.configure_structlog(logging.INFO)
    install()


def load_project_agent(
    model: Path | str, loop: asyncio.AbstractEventLoop, endpoints, runner: type | None = None
):
    """An agent for ``model`` with ``endpoints`` (custom NLG, tracker store), from the
    project root, with the server's speed-ups (``bot.speedups.install``); its graph
    runs in ``runner``, by default the server's (bot/speedups/graph_runner.py)."""
    from rasa.core.agent import load_agent

    from bot.speedups import install as install_speedups
    from bot.speedups.graph_runner import SequentialGraphRunner, processor_runner

    install_speedups()
    log_as_rasa_run()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with processor_runner(runner or SequentialGraphRunner):
            return loop.run_until_complete(load_agent(model_path=str(model), endpoints=endpoints))
    finally:
        os.chdir(cwd)
