"""`make bench`: this bot against Rasa's default configuration, same domain and data.

Every run trains both bots from scratch and once more unchanged, then serves each
model with `rasa run` and measures, in this order: cold start (process start to first
REST reply), held-out intent accuracy and macro-F1 (via `/model/parse`), sequential
REST latency over scripted conversations, throughput with concurrent conversations
from a separate load-generator process (bench/loadgen.py), and the server's resident
memory after that load. The table reports the median of the runs::

    python -m bench.run --runs 3            # the full benchmark (over 2 hours a run, most
                                            # of it training the default configuration)
    python -m bench.run --runs 1 --reuse    # serve the models of the last run again
    python -m bench.run --runs 1 --reuse baseline   # train this bot, serve the baseline
                                                    # the last run trained

A reused model is served and measured again, side by side, exactly as a new one; it
must have been trained on this checkout's data, domain (response texts aside) and
configuration (``bench.training.inputs_fingerprint``), and its training times are
those of the run that trained it, which the table says.

Writes bench/results.md, bench/latency.png and the raw numbers to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench import heldout, report, server, training
from bench.variants import VARIANTS, Variant
from bot.paths import ROOT

OUT = ROOT / "bench" / "out"


def _loadgen(url: str, concurrency: int, messages: int, prefix: str) -> dict:
    command = [
        sys.executable, "-m", "bench.loadgen", "--url", url,
        "--concurrency", str(concurrency), "--messages", str(messages), "--prefix", prefix,
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def serve_and_measure(
    variant: Variant, model: Path, workdir: Path, args: argparse.Namespace
) -> dict:
    with server.rasa_server(variant, model, workdir / "server.log") as srv:
        scores = heldout.evaluate(lambda text: server.parse(srv.url, text))
        # one conversation first, so both bots are measured warm
        _loadgen(srv.url, 1, 6, "warmup")
        sequential = _loadgen(srv.url, 1, args.messages, "seq")
        load = _loadgen(srv.url, args.concurrency, args.load_messages, "load")
        rss = srv.rss_mb()
        cold = srv.cold_start_s
    return {
        "cold_start_s": cold,
        "heldout": scores,
        "sequential": sequential,
        "load": load,
        "rss_mb": rss,
    }


def run_once(variant: Variant, run: int, args: argparse.Namespace) -> dict:
    workdir = args.out / variant.key / f"run-{run}"
    if variant.key in args.reuse:
        result = training.reused(workdir, variant)
        print(f"[{variant.key} run {run}] reusing {result['model']}", flush=True)
    else:
        print(f"[{variant.key} run {run}] training ...", flush=True)
        result = training.train(variant, workdir)
        print(
            f"[{variant.key} run {run}] trained in {result['scratch_s']:.1f}s, "
            f"unchanged {result['unchanged_s']:.1f}s",
            flush=True,
        )
    print(f"[{variant.key} run {run}] serving ...", flush=True)
    measured = serve_and_measure(variant, Path(result["model"]), workdir, args)
    measured["training"] = result
    (workdir / "result.json").write_text(json.dumps(measured))
    print(f"[{variant.key} run {run}] {report.one_line(measured)}", flush=True)
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions; medians reported")
    parser.add_argument("--messages", type=int, default=500, help="sequential messages")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent conversations")
    parser.add_argument("--load-messages", type=int, default=1000, help="messages under load")
    parser.add_argument(
        "--variants", default="bot,baseline", help=f"comma-separated: {','.join(VARIANTS)}"
    )
    parser.add_argument(
        "--reuse",
        nargs="?",
        const="bot,baseline",
        default="",
        help="serve the models the last run trained (of these variants: default all)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rebuild the table from --out, measure nothing"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="raw results and models")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--plot", type=Path, default=ROOT / "bench" / "latency.png")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.messages < 500 or args.load_messages < args.concurrency:
        parser.error("need --runs >= 1, --messages >= 500, --load-messages >= --concurrency")
    try:
        variants = [VARIANTS[key] for key in args.variants.split(",")]
    except KeyError as e:
        parser.error(f"unknown variant {e}")
    args.reuse = {key for key in args.reuse.split(",") if key}
    if args.reuse - set(VARIANTS):
        parser.error(f"unknown variant in --reuse: {sorted(args.reuse - set(VARIANTS))}")

    os.chdir(ROOT)
    load_before = os.getloadavg()
    started = time.perf_counter()
    results: dict[str, list[dict]] = {v.key: [] for v in variants}
    # Alternate the bots within each run, so both see the same background load.
    for run in range(1, args.runs + 1):
        for variant in variants:
            if args.report_only:
                stored = args.out / variant.key / f"run-{run}" / "result.json"
                results[variant.key].append(json.loads(stored.read_text()))
            else:
                results[variant.key].append(run_once(variant, run, args))
    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "minutes": (time.perf_counter() - started) / 60,
        "runs": args.runs,
        "messages": args.messages,
        "concurrency": args.concurrency,
        "load_messages": args.load_messages,
    }
    table = report.markdown(results, variants, machine)
    args.results.write_text(table)
    report.plot(results, variants, args.plot)
    print(table)
    print(f"Wrote {args.results} and {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
