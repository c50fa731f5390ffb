"""The crisis resources of ``data/safety_resources.yml``, for one region and kind of danger.

The site owner chooses the region (``safety_region`` of the NLG in endpoints.yml, or
``BOT_SAFETY_REGION``, which wins; default ``intl``). The safety answers name
``{emergency}`` and ``{helplines}``, which ``bot.dialogue.nlg.PartnerAwareNLG`` fills
from here: the region's emergency number, and the region's lines that fit the kind of
danger, then (outside ``intl``) the international directory for other countries.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.paths import ROOT

logger = logging.getLogger(__name__)

RESOURCES = ROOT / "data" / "safety_resources.yml"
INTERNATIONAL = "intl"
REGION_VARIABLE = "BOT_SAFETY_REGION"
MAX_LINES = 3  # lines of the region per answer: a short list is read, a long one is not


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    emergency: str
    lines: tuple[dict[str, Any], ...]


@cache
def load_regions(path: Path = RESOURCES) -> dict[str, Region]:
    data = yaml.safe_load(path.read_text())
    return {
        key: Region(key, spec["name"], spec["emergency"], tuple(spec.get("lines") or ()))
        for key, spec in data["regions"].items()
    }


def choose_region(configured: str | None = None, path: Path = RESOURCES) -> Region:
    """The region the site owner set (environment first), or the international one."""
    regions = load_regions(path)
    wanted = (os.environ.get(REGION_VARIABLE) or configured or INTERNATIONAL).strip().lower()
    if wanted not in regions:
        logger.warning(
            f"Unknown safety region '{wanted}' (known: {', '.join(regions)}); using "
            f"'{INTERNATIONAL}'."
        )
        wanted = INTERNATIONAL
    return regions[wanted]


def helplines(region: Region, kind: str | None, path: Path = RESOURCES) -> list[str]:
    """The lines to show for ``kind`` (any kind when None), the region's first."""

    def fitting(lines: tuple[dict[str, Any], ...]) -> list[str]:
        return [line["text"] for line in lines if kind is None or kind in line["for"]]

    chosen = fitting(region.lines)[:MAX_LINES]
    if region.key != INTERNATIONAL or not chosen:
        directory = fitting(load_regions(path)[INTERNATIONAL].lines)[:1]
        chosen += [
            f"elsewhere, {text}" if region.key != INTERNATIONAL else text for text in directory
        ]
    return chosen


def resource_variables(region: Region, kind: str | None) -> dict[str, str]:
    """``{emergency}`` and ``{helplines}`` (one "• ..." line each) for a response."""
    lines = helplines(region, kind if isinstance(kind, str) else None)
    return {"emergency": region.emergency, "helplines": "\n".join(f"• {line}" for line in lines)}
