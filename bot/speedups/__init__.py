"""What only makes Rasa faster: the bot answers the same without any of it.

Each part is removable on its own, and each is measured against Rasa's own code
(``make bench``, ``python -m bench.inprocess``):

- ``graph_runner``: the loaded model's graph in plain Python instead of dask;
- ``policies`` + ``dialogue_states``: Rasa's RulePolicy and MemoizationPolicy sharing
  one replay of the conversation (named in ``config.yml``);
- ``sentence_featurizer``: Rasa's CountVectorsFeaturizer, sentence features only
  (named in ``config.yml``);
- ``fingerprints``: training messages' fingerprints (the training cache's keys)
  hashing each token list in one pass;
- ``crisis_scoring``: the crisis detector's sentence scores without scikit-learn's
  per-call machinery;
- ``training_runner``: ``rasa train`` running independent nodes (the intent network,
  the crisis detector) at the same time;
- ``empty_domain``: ``Domain.is_empty`` (asked for every message) without building an
  empty domain each time;
- ``tracker_cache``: the SQL tracker store's memory of the trackers it saved
  (``cache_size: 0`` in the endpoints turns it off);
- and, in :func:`install`, TensorFlow started without its optional jax import.

``config.plain.yml`` is ``config.yml`` with Rasa's own featurizer and policies, and
``BOT_SPEEDUPS=0`` makes :func:`install` do nothing: together they run the bot
without any speed-up, so their worth can be measured at any time.
"""

from __future__ import annotations

import os
import sys

_installed = False


def enabled() -> bool:
    return os.environ.get("BOT_SPEEDUPS", "1").strip().lower() not in {"0", "false", "no", "off"}


def install() -> None:
    """Apply the speed-ups that need no configuration; every entry point calls this
    before it loads a model. Idempotent; nothing when ``BOT_SPEEDUPS=0``."""
    global _installed
    if _installed or not enabled():
        return
    _installed = True
    # TensorFlow 2.12 imports jax, when installed (TensorFlow's package requires it),
    # only to offer it to its Lite converter, which Rasa never uses: about 4 s of
    # start-up and 85 MB. None in sys.modules makes `import jax` raise ImportError,
    # which TensorFlow catches. Only effective before TensorFlow is imported.
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]

    from bot.speedups.crisis_scoring import use_fast_crisis_scoring
    from bot.speedups.empty_domain import use_cached_empty_domain
    from bot.speedups.fingerprints import use_fast_fingerprints
    from bot.speedups.graph_runner import use_sequential_runner
    from bot.speedups.training_runner import use_threaded_training

    use_sequential_runner()
    use_fast_fingerprints()
    use_fast_crisis_scoring()
    use_cached_empty_domain()
    use_threaded_training()
