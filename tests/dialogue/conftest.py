"""Fixtures of the dialogue tests."""

from __future__ import annotations

import pytest

from bot.dialogue.safety_resources import Region, choose_region


@pytest.fixture(scope="module")
def region() -> Region:
    """The region whose resources the bot names (endpoints.yml, BOT_SAFETY_REGION)."""
    from bot.testing.agent import project_endpoints

    nlg = project_endpoints().nlg
    return choose_region((nlg.kwargs if nlg else {}).get("safety_region"))
