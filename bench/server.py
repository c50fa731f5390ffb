"""Start `rasa run` for a model, time its cold start, and read its memory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from bench.variants import Variant
from bot.paths import ROOT
from bot.testing.rest import WEBHOOK, request, use_a_token
from bot.testing.server import free_port, fresh_endpoints


class Server:
    """A running `rasa run`; ``cold_start_s`` is process start to first REST reply."""

    def __init__(self, proc: subprocess.Popen, url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log
        self.cold_start_s = float("nan")

    def wait_first_reply(self, started: float, timeout: float) -> None:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log}")
            try:
                status, reply = request(
                    self.url + WEBHOOK, {"sender": "cold-start", "message": "hi"}, timeout=30
                )
            except OSError:  # not listening yet
                status = 0
            if status != 200:  # not listening, or still loading
                time.sleep(0.05)
                continue
            if isinstance(reply, list) and reply:
                self.cold_start_s = time.perf_counter() - started
                return
            raise RuntimeError(f"unexpected first reply {reply!r}")
        raise TimeoutError(f"no reply within {timeout:.0f}s; see {self.log}")

    def rss_mb(self) -> float:
        """Resident memory of the server and all its children, in MB."""
        proc = psutil.Process(self.proc.pid)
        procs = [proc, *proc.children(recursive=True)]
        total = 0
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):  # exited meanwhile
                total += p.memory_info().rss
        return total / 2**20

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def rasa_server(
    variant: Variant,
    model: Path,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 900.0,
) -> Iterator[Server]:
    """Run `rasa run --enable-api` on loopback, as ``variant`` is served, until the block ends."""
    port = free_port()
    args = variant.serve_command(
        "run",
        "--model", str(model),
        "--enable-api",
        "--interface", "127.0.0.1",
        "--port", str(port),
        "--endpoints", str(fresh_endpoints(log.parent)),
        "--credentials", str(ROOT / "credentials.yml"),
    )  # fmt: skip
    use_a_token()  # the REST channel with its token, as in production; loadgen inherits it
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    full_env.update(env or {})
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=full_env)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        server.wait_first_reply(started, timeout)
        yield server
    finally:
        server.stop()


def parse(url: str, text: str) -> dict:
    _, reply = request(url + "/model/parse", {"text": text}, timeout=30)
    if not isinstance(reply, dict):
        raise RuntimeError(f"/model/parse answered {reply!r}")
    return reply
