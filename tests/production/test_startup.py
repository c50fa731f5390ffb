"""The server as scripts/run-server.sh starts it: through bot.cli.rasa, without jax."""

from __future__ import annotations

from pathlib import Path

from tests.production.conftest import SQLiteBot


def test_server_runs_without_loading_jax(sqlite_bot: SQLiteBot) -> None:
    # TensorFlow imports jax (4 s, 85 MB) unless bot.cli.rasa marks it absent; an
    # imported jax maps jaxlib's shared libraries into the process
    server = sqlite_bot.running()
    maps = Path(f"/proc/{server.proc.pid}/maps").read_text()
    assert "tensorflow" in maps  # the check looks at a process that did import TensorFlow
    assert "jaxlib" not in maps
