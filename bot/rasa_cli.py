"""The `rasa` command line, started without TensorFlow's optional jax import,
and answering through ``bot.graph_runner.SequentialGraphRunner`` instead of dask.

    python -m bot.rasa_cli run --credentials credentials.yml    # = rasa run ...
    python -m bot.rasa_cli train                                # = rasa train ...

Every Rasa command imports TensorFlow, and TensorFlow 2.12 imports jax, when it is
installed (and it is: TensorFlow's package requires it), only to offer it to its
Lite converter, which Rasa never uses. That import costs about 4 s of start-up and
85 MB of memory on this machine (issue 4). Marking jax as absent before Rasa starts
makes TensorFlow take its own "jax is not installed" branch.

Rasa runs each reply's graph through dask, whose scheduling costs about 3 ms of CPU
a message here; the loaded model runs in plain Python instead (same nodes, same
results: bot/graph_runner.py).

The server (`scripts/run-server.sh`), `make chat` and `bot.train` start Rasa through
this module; plain `rasa ...` works the same, only slower to start and to answer.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    # None in sys.modules makes `import jax` raise ImportError, which TensorFlow catches
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]
    from rasa.__main__ import main as rasa_main

    from bot.graph_runner import use_sequential_runner

    use_sequential_runner()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
