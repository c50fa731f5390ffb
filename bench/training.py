"""Time a bot's training: once from scratch, then again with nothing changed.

Each result also records what the model learnt from (:func:`inputs_fingerprint`), so
that a later run may serve a model again instead of training it (Rasa's default
configuration needs over two hours here) only while those inputs are the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.utils.io import deep_container_fingerprint

from bench.variants import Variant
from bot.paths import ROOT

# response texts are not learnt: a reworded answer leaves the trained model valid
NOT_LEARNT = ("responses",)


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


def inputs_fingerprint(variant: Variant, root: Path = ROOT) -> str:
    """What ``rasa train`` learns from for ``variant``, in the checkout at ``root``:
    its configuration, the NLU data, stories and rules under data/, and the domain
    without its response texts. Rasa's importer reads them, so files it ignores (such
    as data/patterns.yml, which the bot's own component reads) are not part of it."""
    importer = TrainingDataImporter.load_from_config(
        str(root / variant.config.relative_to(ROOT)), str(root / "domain.yml"), [str(root / "data")]
    )
    domain = {k: v for k, v in importer.get_domain().as_dict().items() if k not in NOT_LEARNT}
    return deep_container_fingerprint(
        [
            importer.get_config(),
            importer.get_nlu_data().fingerprint(),
            importer.get_stories().fingerprint(),
            domain,
        ]
    )


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
    return {
        "scratch_s": scratch,
        "unchanged_s": unchanged,
        "model": str(latest_model(models)),
        "inputs": inputs_fingerprint(variant),
        "trained_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def reused(workdir: Path, variant: Variant) -> dict:
    """The training result stored in ``workdir``, if the model there was trained on
    the inputs of this checkout; else a RuntimeError that says to train again."""
    stored = json.loads((workdir / "result.json").read_text())["training"]
    if stored.get("inputs") != inputs_fingerprint(variant):
        raise RuntimeError(
            f"{variant.key}: the model in {workdir} was trained on other data, domain or "
            "configuration than this checkout's; run without --reuse to train it again"
        )
    return {**stored, "reused": True}
