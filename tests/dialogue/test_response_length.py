"""No chat bubble is too long to read on a phone.

Rasa's output channels send each blank-line-separated part of a text as its own
message, so a bubble is one such part; every variant of every response is filled in
as it would be for a user who never named their partner (the neutral words), in every
region of the safety resources.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain

from bot.dialogue.nlg import PartnerAwareNLG
from bot.dialogue.safety_resources import load_regions
from bot.paths import ROOT

MAX_BUBBLE = 350

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def bubbles(region: str) -> list[tuple[str, str]]:
    nlg = PartnerAwareNLG(domain=DOMAIN)
    nlg.region = load_regions()[region]
    found = []
    for name, variants in DOMAIN.responses.items():
        for variant in variants:
            slots = {c["name"]: c["value"] for c in variant.get("condition") or []}
            filled = nlg._fill_response(dict(variant), slots)
            for part in (filled.get("text") or "").strip().split("\n\n"):
                found.append((name, part))
    return found


@pytest.mark.parametrize("region", sorted(load_regions()))
def test_no_bubble_is_over_the_limit(region: str) -> None:
    long = [(name, len(part)) for name, part in bubbles(region) if len(part) > MAX_BUBBLE]
    assert not long, f"bubbles over {MAX_BUBBLE} characters: {long}"


def test_the_check_sees_every_response() -> None:
    names = {name for name, _ in bubbles("intl")}
    assert names == set(DOMAIN.responses)
    assert asyncio.iscoroutinefunction(PartnerAwareNLG.generate)
