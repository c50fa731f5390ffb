"""`rasa train`, skipped in a fraction of a second when nothing it reads has changed.

Rasa 3 always starts a training run: importing TensorFlow and running the graph's
fingerprinting costs 20-40 s on this machine even when every component is cached,
and it writes a new model each time. This wrapper hashes what training reads (config,
domain, data, the project's components, the spaCy pipeline, the installed Rasa
version) and, when the newest model in the output directory was trained from the
same inputs, says so and stops before importing Rasa::

    python -m bot.cli.train                        # same arguments as `rasa train`
    python -m bot.cli.train --config config.yml --out models --force

Any other `rasa train` argument is passed through (and is part of the hash).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bot.paths import spacy_model

STAMP = ".bot-train.json"  # in the output directory: {"fingerprint": ..., "model": ...}
PROJECT_CODE = Path(__file__).resolve().parent.parent  # bot/


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [path] if path.exists() else []


def fingerprint(args: argparse.Namespace, passthrough: list[str]) -> str:
    """Hash of everything the training run reads, and of how it was asked to run."""
    digest = hashlib.sha256()
    digest.update(json.dumps([metadata.version("rasa"), passthrough]).encode())
    inputs = [Path(args.config), Path(args.domain), *map(Path, args.data)]
    with contextlib.suppress(LookupError):  # the spaCy pipeline the config loads, if any
        inputs.append(spacy_model(Path(args.config).resolve()))
    for root in [*inputs, PROJECT_CODE]:
        for file in _files(root):
            digest.update(str(file).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def up_to_date(out: Path, key: str) -> bool:
    try:
        stamp = json.loads((out / STAMP).read_text())
    except (OSError, ValueError):
        return False
    model = out / str(stamp.get("model", ""))
    if stamp.get("fingerprint") == key and model.is_file():
        print(f"Nothing changed since {model} was trained; not retraining.")
        return True
    return False


def newest_model(out: Path) -> Path | None:
    models = sorted(out.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], add_help=False)
    parser.add_argument("-c", "--config", default="config.yml")
    parser.add_argument("-d", "--domain", default="domain.yml")
    parser.add_argument("--data", nargs="+", default=["data"])
    parser.add_argument("--out", default="models")
    parser.add_argument("--force", action="store_true")
    args, passthrough = parser.parse_known_args(argv)
    if "-h" in passthrough or "--help" in passthrough:
        print(__doc__)
        return 0

    out = Path(args.out)
    key = fingerprint(args, passthrough)
    if not args.force and up_to_date(out, key):
        return 0
    before = newest_model(out)
    done = subprocess.run([sys.executable, "-m", "bot.cli.rasa", "train", *argv])
    if done.returncode != 0:
        return done.returncode
    model = newest_model(out)
    if model is not None and model != before:
        (out / STAMP).write_text(json.dumps({"fingerprint": key, "model": model.name}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
