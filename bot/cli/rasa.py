"""The `rasa` command line with the project's speed-ups, a quiet start and a friendlier
shell:

    python -m bot.cli.rasa run --credentials credentials.yml    # = rasa run ...
    python -m bot.cli.rasa shell                                # = rasa shell ...

- the speed-ups (``bot.speedups.install``: no jax import, no dask per reply);
- warnings of third-party packages (deprecations, SQLAlchemy 2.0 notices) are not
  printed at the normal log level; with ``--debug`` or ``-v`` they are;
- no message text in the logs (``bot.log_privacy``);
- ``shell`` listens on 127.0.0.1 unless ``--interface`` says otherwise (Rasa's
  default, 0.0.0.0, lets anyone on the network talk to a terminal chat), and shows
  buttons as numbered options under a text prompt (``bot/cli/shell.py``).

The server (`scripts/run-server.sh`), `make chat` and ``bot.cli.train`` start Rasa
through this module; plain ``rasa ...`` works the same, only slower and noisier.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

VERBOSE_FLAGS = {"--debug", "-vv", "-v", "--verbose"}


def quiet_warnings() -> None:
    """Hide third-party warnings, here and in the processes Rasa starts."""
    warnings.filterwarnings("ignore")
    # SQLAlchemy's "MovedIn20Warning" is shown even when warnings are filtered unless
    # this is set; Rasa 3.6 uses the 1.4 API on purpose
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not VERBOSE_FLAGS & set(args):
        quiet_warnings()

    from bot.speedups import install

    install()
    if args[:1] == ["shell"]:
        from bot.cli.shell import use_numbered_buttons

        use_numbered_buttons()
        if not any(a == "--interface" or a.startswith("--interface=") for a in args):
            args += ["--interface", "127.0.0.1"]

    from rasa.__main__ import main as rasa_main

    from bot.log_privacy import install as keep_text_out_of_logs

    keep_text_out_of_logs()
    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
