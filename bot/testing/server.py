"""Start `rasa run` as a real server process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from bot.paths import ENDPOINTS, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers (any HTTP status), or fail with the server's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


class RasaServer:
    """A running `rasa run` process; ``url`` is its base URL."""

    def __init__(self, proc: subprocess.Popen, port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log
        self.url = f"http://127.0.0.1:{port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up."""
        self.stop(signal.SIGKILL)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def fresh_endpoints(directory: Path) -> Path:
    """The project's endpoints with an empty SQLite tracker store in ``directory``.

    Every server starts from no conversations, and never reads or writes the project's
    var/tracker.db: a later run would otherwise continue an earlier one's conversations.
    """
    endpoints = yaml.safe_load(ENDPOINTS.read_text())
    database = directory / "tracker.db"
    for stale in directory.glob("tracker.db*"):
        stale.unlink()
    endpoints["tracker_store"]["db"] = str(database)
    path = directory / "endpoints.yml"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints))
    return path


@contextmanager
def rasa_server(
    model: Path,
    tmp_path: Path,
    *,
    credentials: Path | None = None,
    endpoints: Path | None = None,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 180.0,
    plain_rasa: bool = False,
) -> Iterator[RasaServer]:
    """Run `rasa run` on 127.0.0.1 until the block ends; the log and, unless
    ``endpoints`` says otherwise, the tracker store go to tmp_path. ``plain_rasa``:
    Rasa's own ``python -m rasa``, not the project's launcher (bot/cli/rasa.py)."""
    port = port or free_port()
    log = tmp_path / f"rasa-{port}.log"
    args = [
        sys.executable,
        "-m",
        "rasa" if plain_rasa else "bot.cli.rasa",  # how scripts/run-server.sh starts it
        "run",
        "--model",
        str(model),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--endpoints",
        str(endpoints or fresh_endpoints(tmp_path)),
        "--credentials",
        str(credentials or ROOT / "credentials.yml"),
        *extra_args,
    ]
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    full_env.update(env or {})
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=full_env)
    server = RasaServer(proc, port, log)
    try:
        wait_for_http(server.url + "/", timeout, proc)
        yield server
    except Exception:
        sys.stderr.write(server.log_text()[-5000:])
        raise
    finally:
        server.stop()
