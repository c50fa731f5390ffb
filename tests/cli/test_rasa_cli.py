"""Rasa's own commands in the project root: validate, test stories, train, shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from bot.paths import ROOT
from tests.conftest import NLU_LESS_INTENTS, rasa_command

pytestmark = pytest.mark.slow


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        rasa_command(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_data_validates_without_unexpected_warnings() -> None:
    result = run("data", "validate")
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    warnings = [line for line in log.splitlines() if "UserWarning" in line]
    unexpected = [
        w
        for w in warnings
        if not any(
            f"The intent '{i}' is listed in the domain file, but is not found" in w
            for i in NLU_LESS_INTENTS
        )
    ]
    assert not unexpected, "\n".join(unexpected)
    assert len(warnings) <= len(NLU_LESS_INTENTS)


def test_test_stories_pass_with_fail_on_prediction_errors(trained_model: Path, tmp_path) -> None:
    result = run(
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        "tests/test_stories.yml",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path / "results"),
    )
    failed = tmp_path / "results" / "failed_test_stories.yml"
    detail = (
        failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    )
    assert result.returncode == 0, detail


def test_second_train_without_changes_does_not_retrain(trained_model: Path, tmp_path) -> None:
    # Rasa 3.6 always packages a model, but every component must come from the cache.
    result = run("train", "--out", str(tmp_path))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "Starting to train component" not in log, log[-3000:]
    for component in ("MLPIntentClassifier", "PatternIntentMatcher", "RulePolicy"):
        assert f"Restored component '{component}' from cache" in log


def test_shell_answers_in_a_terminal(trained_model: Path) -> None:
    shell = pexpect.spawn(
        sys.executable,
        ["-m", "rasa", "shell", "--model", str(trained_model)],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=180,
        dimensions=(40, 200),
    )
    try:
        shell.expect("Bot loaded. Type a message and press enter")
        shell.expect("Your input ->")
        # a reply without buttons: with buttons the shell shows a picker menu instead
        shell.sendline("he cried when he dumped me")
        shell.expect("the one to blame", timeout=60)
        shell.expect("Your input ->")
        shell.sendline("/stop")
        shell.expect(pexpect.EOF, timeout=60)
    finally:
        shell.close(force=True)
