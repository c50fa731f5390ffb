"""The crisis resources are data with their sources, and each region shows only its own."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.dialogue.safety_resources import (
    INTERNATIONAL,
    REGION_VARIABLE,
    RESOURCES,
    choose_region,
    helplines,
    load_regions,
    resource_variables,
)

DATA = yaml.safe_load(RESOURCES.read_text())
KINDS = DATA["kinds"]
REGIONS = load_regions()
PHONE_KEYS = ["", "", "abc", "def", "ghi", "jkl", "mno", "pqrs", "tuv", "wxyz"]
KEYPAD = {c: str(d) for d, letters in enumerate(PHONE_KEYS) for c in letters}
# a phone number or short code as written: digits, maybe ending in letters (1-800-656-HOPE)
# (not a part of a web address such as 247sexualabusesupport.org.uk)
NUMBER = re.compile(r"(?<![\w.])\d(?:[\d\-\u2013. ]*\d)?(?:[\-\u2013.][A-Z]{3,})?(?![\w])")


def digits(text: str) -> str:
    """The keys one dials for ``text`` (letters as on a phone keypad)."""
    return "".join(KEYPAD.get(c.lower(), c) for c in text if c.isalnum())


def numbers_in(text: str) -> list[str]:
    return [digits(n) for n in NUMBER.findall(text) if len(digits(n)) >= 3]


def shown_in(number: str, checked: str) -> bool:
    """Whether ``number`` is one of the numbers written in ``checked``, or part of one."""
    return any(number in written for written in numbers_in(checked))


def all_entries():
    for key, region in DATA["regions"].items():
        yield key, "emergency", region["emergency"], region
        for line in region["lines"]:
            yield key, "line", line["text"], line


@pytest.mark.parametrize(("region", "what", "text", "entry"), list(all_entries()))
def test_every_resource_names_its_source_and_the_words_that_show_it(
    region, what, text, entry
) -> None:
    source = entry.get("source") or entry.get("emergency_source")
    checked = entry.get("checked") or entry.get("emergency_checked")
    assert source and source.startswith("http"), f"{region}: {text!r} has no source"
    assert checked and len(checked) > 20, f"{region}: {text!r} has no checked words"
    for number in numbers_in(text):
        assert shown_in(number, checked), f"{region}: {number} of {text!r} not in {checked!r}"


def test_number_matching_reads_keypad_letters() -> None:
    assert numbers_in("call 1-800-656-HOPE") == ["18006564673"]
    assert shown_in("18006564673", "Hotline - 1.800.656.HOPE")
    assert numbers_in("call 116 123, free") == ["116123"]
    assert not shown_in("112", "a 999 caller unable to speak can press 55")


def test_every_line_is_for_known_kinds() -> None:
    for key, region in DATA["regions"].items():
        for line in region["lines"]:
            assert line["for"] and set(line["for"]) <= set(KINDS), (key, line["text"])


@pytest.mark.parametrize("region", sorted(REGIONS))
@pytest.mark.parametrize("kind", [*KINDS, None])
def test_an_answer_names_only_its_region_or_the_international_set(region, kind) -> None:
    own = {line["text"] for line in DATA["regions"][region]["lines"]}
    international = {line["text"] for line in DATA["regions"][INTERNATIONAL]["lines"]}
    shown = helplines(REGIONS[region], kind)
    assert shown, f"no helpline for {kind} in {region}"
    for line in shown:
        assert line in own or line.removeprefix("elsewhere, ") in international, line
    assert any(line in own for line in shown) or region == INTERNATIONAL or kind == "child_danger"
    variables = resource_variables(REGIONS[region], kind)
    assert variables["emergency"] == DATA["regions"][region]["emergency"]


def test_the_site_owner_sets_the_region_and_the_environment_wins(monkeypatch, caplog) -> None:
    monkeypatch.delenv(REGION_VARIABLE, raising=False)
    assert choose_region().key == INTERNATIONAL == DATA["default_region"]
    assert choose_region("uk").key == "uk"
    monkeypatch.setenv(REGION_VARIABLE, "US")
    assert choose_region("uk").key == "us"
    monkeypatch.setenv(REGION_VARIABLE, "atlantis")
    assert choose_region("uk").key == INTERNATIONAL
    assert "Unknown safety region 'atlantis'" in caplog.text


def test_the_uk_answer_to_violence_names_the_uk_helpline() -> None:
    text = resource_variables(REGIONS["uk"], "violence")["helplines"]
    assert "0808 2000 247" in text and "988" not in text
