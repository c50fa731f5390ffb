"""The terminal chat of ``rasa shell``, with buttons as numbered options.

Rasa's shell turns a reply's buttons into an arrow-key menu, and Enter then picks the
first button, so a message typed after a menu is lost. Here the buttons are printed
as a numbered list under the reply and the prompt stays an ordinary text prompt: a
number picks that button (its payload is sent), anything else is sent as typed.
"""

from __future__ import annotations

from typing import Any

import questionary
import rasa.shared.utils.cli
from prompt_toolkit.styles import Style
from rasa.core.channels import console

_PROMPT_STYLE = Style([("qmark", "#b373d6"), ("", "#b373d6")])


def button_options(message: dict[str, Any]) -> list[str]:
    """The lines that show a reply's buttons: "1. They cry when I cry", ..."""
    return [f"{n}. {b.get('title', '')}" for n, b in enumerate(message.get("buttons") or [], 1)]


def chosen_text(typed: str, buttons: list[dict[str, Any]]) -> str:
    """What to send for ``typed``: the payload of the button it numbers, or itself."""
    text = typed.strip()
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        button = buttons[int(text) - 1]
        return str(button.get("payload") or button.get("title", ""))
    return text


def _print_reply(message: dict[str, Any]) -> None:
    color = rasa.shared.utils.io.bcolors.OKBLUE
    without_buttons = {k: v for k, v in message.items() if k != "buttons"}
    console._print_bot_output(without_buttons, color=color)
    options = button_options(message)
    if options:
        rasa.shared.utils.cli.print_color(
            "\n".join([*options, "(type a number to choose, or write your own message)"]),
            color=color,
        )


async def _get_user_input(previous_response: dict[str, Any] | None) -> str | None:
    """Replaces ``rasa.core.channels.console._get_user_input``."""
    buttons: list[dict[str, Any]] = []
    if previous_response is not None:
        _print_reply(previous_response)
        buttons = list(previous_response.get("buttons") or [])
    question = questionary.text("", qmark="Your input ->", style=_PROMPT_STYLE)
    typed = await question.ask_async()
    return None if typed is None else chosen_text(typed, buttons)


def use_numbered_buttons() -> None:
    """Make ``rasa shell`` show buttons as numbered options under a text prompt."""
    console._get_user_input = _get_user_input
