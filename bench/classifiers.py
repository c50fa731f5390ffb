"""Intent classifiers compared on the development messages, over several seeds.

``python -m bench.classifiers --seeds 5`` trains the bot's NLU pipeline (config.yml)
with each classifier in place of ``MLPIntentClassifier``, everything else unchanged,
once per seed, and scores each model on tests/devset/nlu.yml with ``bench.heldout``.
It writes bench/classifiers.md. One seed says little: the networks' scores move by
about a point from seed to seed, which is as much as the classifiers differ.

Trainings run one after another (the machine has two cores) and share one Rasa
cache under bench/out/classifiers, so after the first run only the classifier and
what follows it train again: the training times are mostly the classifier's. Runs
already in bench/out/classifiers/runs.json are not repeated (``--fresh`` repeats them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.paths import CONFIG, ROOT
from bot.testing.nlu_data import DEVSET

OUT = ROOT / "bench" / "out" / "classifiers"
REPORT = ROOT / "bench" / "classifiers.md"
REPLACED = "bot.nlu.mlp_intent_classifier.MLPIntentClassifier"
STYLES = ("long", "texting", "off_topic")


@dataclass(frozen=True)
class Classifier:
    key: str
    label: str
    name: str  # the component in the pipeline
    seed_key: str  # its configuration key for the random seed
    config: dict[str, Any] = field(default_factory=dict)
    # the order of simplicity: less code of the project's own to keep comes first
    simplicity: int = 0


# (a) as in config.yml, (b) and (c) with their defaults
CLASSIFIERS = (
    Classifier("numpy_mlp", "(a) MLPIntentClassifier (numpy)", REPLACED, "random_seed",
               simplicity=2),
    Classifier("logreg", "(b) Rasa LogisticRegressionClassifier", "LogisticRegressionClassifier",
               "random_state", simplicity=0),
    Classifier("sklearn_mlp", "(c) SklearnMLPIntentClassifier",
               "bot.nlu.sklearn_mlp_classifier.SklearnMLPIntentClassifier", "random_seed",
               simplicity=1),
)  # fmt: skip


def write_config(classifier: Classifier, seed: int, path: Path) -> Path:
    """config.yml with ``classifier`` (seeded) in the place of the project's network."""
    config = yaml.safe_load(CONFIG.read_text())
    names = [component["name"] for component in config["pipeline"]]
    place = names.index(REPLACED)
    # (a) keeps its settings in config.yml; the others start from their defaults
    base = config["pipeline"][place] if classifier.name == REPLACED else {"name": classifier.name}
    config["pipeline"][place] = {**base, **classifier.config, classifier.seed_key: seed}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _run(command: list[str], log: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    log.write_text(done.stdout)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed ({done.returncode}); see {log}")
    return done.stdout


def parse_scores(output: str) -> dict[str, float]:
    """Accuracy, macro-F1 and accuracy by style from ``bench.heldout``'s output."""
    overall = re.search(r"accuracy ([\d.]+), macro-F1 ([\d.]+)", output)
    if overall is None:
        raise ValueError(f"no scores in: {output[-500:]}")
    scores = {"accuracy": float(overall[1]), "macro_f1": float(overall[2])}
    for style in STYLES:
        found = re.search(rf"^  {style}: ([\d.]+) of (\d+)$", output, re.MULTILINE)
        if found:
            scores[style] = float(found[1])
            scores[f"{style}_n"] = int(found[2])
    return scores


def fit_seconds(log: str, component: str) -> float | None:
    """The classifier's own training, from Rasa's log (to the second): the rest of a
    run is start-up, the cached components and packing the model."""
    stamps = {}
    for event in ("Starting to train", "Finished training"):
        found = re.search(
            rf"^(\S+ \S+) INFO .*{event} component '{re.escape(component)}'", log, re.MULTILINE
        )
        if found is None:
            return None
        stamps[event] = datetime.fromisoformat(found[1])
    return (stamps["Finished training"] - stamps["Starting to train"]).total_seconds()


def run_one(classifier: Classifier, seed: int) -> dict[str, Any]:
    """Train one seeded model with ``rasa train nlu`` and score it on the devset."""
    name = f"{classifier.key}-{seed}"
    config = write_config(classifier, seed, OUT / "configs" / f"{name}.yml")
    env = {
        **os.environ,
        "RASA_CACHE_DIRECTORY": str(OUT / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    rasa = str(Path(sys.executable).with_name("rasa"))
    models = OUT / "models"
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    log = _run(
        [rasa, "train", "nlu", "--config", str(config), "--out", str(models),
         "--fixed-model-name", name],
        OUT / "logs" / f"{name}.train.log", env,
    )  # fmt: skip
    train_s = time.perf_counter() - start
    archive = models / f"{name}.tar.gz"
    output = _run(
        [sys.executable, "-m", "bench.heldout", "--messages", str(DEVSET.relative_to(ROOT)),
         "--model", str(archive)],
        OUT / "logs" / f"{name}.score.log", env,
    )  # fmt: skip
    return {
        "classifier": classifier.key,
        "seed": seed,
        "train_s": train_s,
        "fit_s": fit_seconds(log, classifier.name.rsplit(".", 1)[-1]),
        **parse_scores(output),
    }


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(runs: list[dict[str, Any]], seeds: list[int]) -> list[dict[str, Any]]:
    rows = []
    for classifier in CLASSIFIERS:
        mine = [r for r in runs if r["classifier"] == classifier.key and r["seed"] in seeds]
        if not mine:
            continue
        rows.append(
            {
                "classifier": classifier,
                "runs": sorted(mine, key=lambda r: r["seed"]),
                "accuracy": _mean_sd([r["accuracy"] for r in mine]),
                "macro_f1": _mean_sd([r["macro_f1"] for r in mine]),
                **{s: _mean_sd([r[s] for r in mine if s in r]) for s in STYLES},
                "train_s": statistics.median(r["train_s"] for r in mine),
                "fit_s": statistics.median(r["fit_s"] for r in mine),
            }
        )
    return rows


def recommend(rows: list[dict[str, Any]]) -> tuple[Classifier, list[str]]:
    """The simplest classifier within one sd of the best, in accuracy and in macro-F1.

    The noise of a comparison is the larger sd of the two classifiers compared. Also
    returns, for each metric, how far each classifier is behind the best, in points
    and in those sds: a gap right at one sd is a close call, worth saying.
    """
    close, notes = [], []
    for metric, title in (("accuracy", "accuracy"), ("macro_f1", "macro-F1")):
        best = max(rows, key=lambda r: r[metric][0])
        gaps = []
        for row in rows:
            if row is best:
                continue
            gap = best[metric][0] - row[metric][0]
            noise = max(best[metric][1], row[metric][1])
            gaps.append(
                f"{row['classifier'].key} {100 * gap:.1f} points behind ({gap / noise:.1f} sd)"
                if noise
                else f"{row['classifier'].key} {100 * gap:.1f} points behind"
            )
        notes.append(f"best {title}: {best['classifier'].key}; " + ", ".join(gaps))
    for row in rows:
        within = True
        for metric in ("accuracy", "macro_f1"):
            best = max(rows, key=lambda r: r[metric][0])
            noise = max(best[metric][1], row[metric][1])
            within &= row[metric][0] >= best[metric][0] - noise - 1e-9
        if within:
            close.append(row)
    chosen = min(close, key=lambda r: r["classifier"].simplicity)["classifier"]
    notes.append(
        "within one sd of the best in both: " + ", ".join(r["classifier"].key for r in close)
    )
    return chosen, notes


def _pm(pair: tuple[float, float]) -> str:
    return f"{100 * pair[0]:.1f} ± {100 * pair[1]:.1f}"


def report(rows: list[dict[str, Any]], seeds: list[int]) -> str:
    chosen, notes = recommend(rows)
    n = rows[0]["runs"][0]
    styles = ", ".join(f"{s} {n[f'{s}_n']}" for s in STYLES if f"{s}_n" in n)
    lines = [
        "# Intent classifiers on the development messages",
        "",
        f"`python -m bench.classifiers --seeds {len(seeds)}` (seeds {seeds[0]}..{seeds[-1]}): "
        "config.yml with each classifier in the place of `MLPIntentClassifier`, all else "
        "unchanged (patterns, crisis detector, fallback), trained by `rasa train nlu` and "
        "scored by `bench.heldout --messages tests/devset/nlu.yml`: the intent the bot acts "
        f"on, after the rules and the fallback ({styles} of the messages by style).",
        "",
        "(a) as in config.yml (its hidden units and passes); (b) Rasa's defaults, its "
        "`random_state` set to the seed (lbfgs is deterministic, so the seed changes "
        "nothing); (c) bot/nlu/sklearn_mlp_classifier.py with its defaults "
        "(one hidden layer of 256, scikit-learn's Adam settings, binary features as (a)). "
        "Training time: the median wall-clock of `rasa train nlu`, with a Rasa cache shared "
        "by the runs (the featurizers, the crisis detector and the patterns are restored "
        "from it after the first run), and of it the classifier's own training, from "
        "Rasa's log.",
        "",
        "| classifier | accuracy % | macro-F1 % | long % | texting % | off-topic % "
        "| training s | of which the classifier s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['classifier'].label} | {_pm(row['accuracy'])} | {_pm(row['macro_f1'])} "
            f"| {_pm(row['long'])} | {_pm(row['texting'])} | {_pm(row['off_topic'])} "
            f"| {row['train_s']:.0f} | {row['fit_s']:.0f} |"
        )
    lines += [
        "",
        f"By the rule (the simplest within about one sd of the best): **{chosen.label}**. "
        "Simplicity: Rasa's own component first, then a thin wrapper round scikit-learn, "
        "then the project's own network code.",
        "",
        *(f"- {note}" for note in notes),
        "",
        "## Per seed",
        "",
        "| classifier | seed | accuracy % | macro-F1 % | long % | texting % | off-topic % "
        "| training s | classifier s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        for r in row["runs"]:
            lines.append(
                f"| {row['classifier'].key} | {r['seed']} | {100 * r['accuracy']:.1f} "
                f"| {100 * r['macro_f1']:.1f} | {100 * r['long']:.1f} "
                f"| {100 * r['texting']:.1f} | {100 * r['off_topic']:.1f} | {r['train_s']:.0f} "
                f"| {r['fit_s']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument(
        "--only", nargs="+", choices=[c.key for c in CLASSIFIERS], help="these classifiers"
    )
    parser.add_argument("--fresh", action="store_true", help="repeat runs already stored")
    args = parser.parse_args(argv)

    seeds = list(range(args.seeds))
    store = OUT / "runs.json"
    runs = [] if args.fresh or not store.exists() else json.loads(store.read_text())
    chosen = [c for c in CLASSIFIERS if not args.only or c.key in args.only]
    for seed in seeds:  # seed by seed, so that an early stop leaves every classifier some
        for classifier in chosen:
            if any(r["classifier"] == classifier.key and r["seed"] == seed for r in runs):
                continue
            print(f"{classifier.key} seed {seed} ...", flush=True)
            result = run_one(classifier, seed)
            print(
                f"  accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f}, "
                f"{result['train_s']:.0f} s",
                flush=True,
            )
            runs.append(result)
            store.write_text(json.dumps(runs, indent=1))
    for run in runs:  # runs stored before their fit time was read
        if run.get("fit_s") is None:
            log = (OUT / "logs" / f"{run['classifier']}-{run['seed']}.train.log").read_text()
            name = next(c.name for c in CLASSIFIERS if c.key == run["classifier"])
            run["fit_s"] = fit_seconds(log, name.rsplit(".", 1)[-1])
    store.write_text(json.dumps(runs, indent=1))
    REPORT.write_text(report(summarise(runs, seeds), seeds))
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
