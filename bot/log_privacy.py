"""No message text in the logs, from any channel, at the default log level.

Rasa itself writes message text in two places at the default level:

- its parser of ``/intent{...}`` messages warns "Failed to parse arguments in line
  '<the message>'" for every message that starts with ``/`` and is not a well-formed
  intent (Telegram commands, ``/help something``, ``/greet{...}``), through
  ``rasa.shared.utils.io.raise_warning``;
- structlog events carry the text in keys such as ``user_text`` or ``text``
  (``message.parsing.failed``); Rasa only blanks them with a Rasa Pro plugin.

``install()`` (idempotent) wraps the warning so that it names no text, and adds a
structlog processor that replaces the values of those keys, also in a structlog
configuration Rasa makes later. Every channel of the project calls it when the server
starts (``bot/channels/limits.py``), and so does ``bot.cli.rasa``.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

REDACTED = "[message text not logged]"
# the event keys that hold user or bot text (Rasa's list in rasa.utils.log_utils)
TEXT_KEYS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
    }
)
# "... in line '<text>'. <explanation> Continuing without <part of the text>."
_PARSER_WARNING = re.compile(r"Failed to parse arguments in line '.*", re.DOTALL)


def redact_warning(message: Any) -> Any:
    """Rasa's parser warning without the message it quotes."""
    if isinstance(message, str) and "Failed to parse arguments in line" in message:
        return _PARSER_WARNING.sub(f"Failed to parse arguments in line {REDACTED}.", message)
    return message


def redact_event(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the text-holding keys of an event are replaced."""
    for key in TEXT_KEYS & event_dict.keys():
        event_dict[key] = REDACTED
    return event_dict


def _add_processor() -> None:
    import structlog

    processors = structlog.get_config()["processors"]
    if redact_event not in processors:
        # in place: loggers already in use hold this very list
        processors.insert(0, redact_event)


def install() -> None:
    import rasa.shared.utils.io as rasa_io
    import rasa.utils.log_utils as log_utils

    if not getattr(rasa_io.raise_warning, "redacts_text", False):
        original = rasa_io.raise_warning

        @functools.wraps(original)
        def raise_warning(message: str, *args: Any, **kwargs: Any) -> None:
            original(redact_warning(message), *args, **kwargs)

        raise_warning.redacts_text = True  # type: ignore[attr-defined]
        rasa_io.raise_warning = raise_warning

    # rasa.__main__ imported it by name before we could wrap it in log_utils
    for module in (log_utils, sys.modules.get("rasa.__main__")):
        configure = getattr(module, "configure_structlog", None)
        if configure is None or getattr(configure, "redacts_text", False):
            continue
        module.configure_structlog = _reapplied_after(configure)
    _add_processor()


def _reapplied_after(configure: Any) -> Any:
    @functools.wraps(configure)
    def configure_structlog(*args: Any, **kwargs: Any) -> None:
        configure(*args, **kwargs)
        _add_processor()

    configure_structlog.redacts_text = True  # type: ignore[attr-defined]
    return configure_structlog
