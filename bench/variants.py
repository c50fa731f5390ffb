"""The two bots the benchmark compares: this project's and Rasa's default configuration."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bot.paths import ROOT


@dataclass(frozen=True)
class Variant:
    key: str  # short name, used for directories and JSON
    label: str  # column title
    config: Path
    # how the bot's project trains it: this project skips unchanged runs (bot/cli/train.py)
    trainer: str
    # how it is served: this project starts Rasa through bot/cli/rasa.py (run-server.sh)
    cli: str

    def serve_command(self, *args: str) -> list[str]:
        """``rasa <args>`` started the way this bot's project starts its server."""
        return [sys.executable, "-m", self.cli, *args]

    def train_command(self, out: Path) -> list[str]:
        """The command that trains this bot into ``out`` (run from the project root)."""
        return [
            sys.executable, "-m", *self.trainer.split(),
            "--config", str(self.config),
            "--domain", str(ROOT / "domain.yml"),
            "--data", str(ROOT / "data"),
            "--out", str(out),
        ]  # fmt: skip


BOT = Variant("bot", "this bot", ROOT / "config.yml", "bot.cli.train", "bot.cli.rasa")
BASELINE = Variant(
    "baseline", "Rasa default", ROOT / "bench" / "config.baseline.yml", "rasa train", "rasa"
)
VARIANTS = {v.key: v for v in (BOT, BASELINE)}
