"""Time a bot's training: once from scratch, then again with nothing changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from bench.variants import Variant
from bot.paths import ROOT


def _timed(command: list[str], env: dict[str, str], log: Path) -> float:
    start = time.perf_counter()
    with open(log, "wb") as out:
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"training failed ({done.returncode}); see {log}")
    return elapsed


def latest_model(directory: Path) -> Path:
    models = sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise RuntimeError(f"no model in {directory}")
    return models[-1]


def train(variant: Variant, workdir: Path) -> dict:
    """Train into ``workdir`` with an empty training cache, then once more unchanged.

    The cache lives in ``workdir`` (RASA_CACHE_DIRECTORY), so "from scratch" really
    starts from nothing and no other checkout's cache is touched.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    models = workdir / "models"
    models.mkdir(parents=True)
    env = {
        **os.environ,
        "RASA_CACHE_DIRECTORY": str(workdir / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    command = variant.train_command(models)
    scratch = _timed(command, env, workdir / "train-scratch.log")
    unchanged = _timed(command, env, workdir / "train-unchanged.log")
    return {"scratch_s": scratch, "unchanged_s": unchanged, "model": str(latest_model(models))}
