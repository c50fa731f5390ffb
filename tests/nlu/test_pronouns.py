"""Which pronouns of a message are the partner's (the `pronoun` entity, data/patterns.yml)."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from bot.nlu.patterns import PatternSet, read_pattern_file
from bot.nlu.spacy_pipeline import build
from bot.paths import ROOT

RULES = PatternSet(read_pattern_file(ROOT / "data/patterns.yml"))


@pytest.fixture(scope="module")
def nlp(tmp_path_factory: pytest.TempPathFactory) -> Language:
    return spacy.load(build(tmp_path_factory.mktemp("spacy") / "en"))


def pronouns(nlp: Language, text: str) -> list[str]:
    # SpacyNLP lowercases (case_sensitive: false) before the matcher sees the doc
    return [e.value for e in RULES.match(nlp(text.lower())).entities if e.entity == "pronoun"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # stated pronouns, whatever the partner word
        ("my boyfriend uses they/them and cries when i cry", ["they"]),
        ("my partner (they/them) cried when we broke up", ["they"]),
        ("my girlfriend (he/him) cries when i cry", ["he"]),
        ("my wife goes by they and cries with me", ["they"]),
        ("my husband's pronouns are she/her", ["she"]),
        ("my bf uses they and he always cries when i cry", ["they"]),
        ("my partner, she cries whenever i cry", ["she"]),
        ("my ex, they cried when we broke up", ["they"]),
        # a pronoun of the partner, with no one else in the message
        ("he cries when i cry", ["he"]),
        ("my partner cried and she said she loved me", ["she"]),
        ("my boyfriend cries when i cry, he is so sweet", ["he"]),
        ("my wife cried at her mom's funeral", ["she"]),
        # "she" is the mom's, "him" the boyfriend's
        ("my boyfriend's mom said she never saw him cry", ["he"]),
    ],
)
def test_the_partners_pronoun_is_taken(nlp: Language, text: str, expected: list[str]) -> None:
    assert pronouns(nlp, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # other people's pronouns
        "my therapist says he thinks my bf cries to manipulate me",
        "my mom said she thinks the tears are fake",
        "my friend told me he cries when his girlfriend cries",
        "my sister thinks she knows why my partner cries",
        "my friend uses they/them and my partner cries when i cry",
        # a pronoun before anyone is named, in a message that names someone else
        "he says my therapist is wrong about the crying",
        # a pronoun that cannot be the partner's: a plain one against the word's gender,
        # or a plain "they" (other people, or anyone)
        "my boyfriend cried and she told me it was an act",
        "my boyfriend cried and they all laughed",
        "they say crying is healthy",
        # "her" in "i use her car" states no pronoun
        "my boyfriend cries when i use her car",
    ],
)
def test_pronouns_that_are_not_the_partners_are_not_taken(nlp: Language, text: str) -> None:
    assert pronouns(nlp, text) == []


def test_a_pronoun_for_the_partner_after_someone_else_is_taken(nlp: Language) -> None:
    assert pronouns(nlp, "my therapist says my partner cries because she is empathetic") == ["she"]
    assert pronouns(nlp, "my mom thinks my girlfriend cries because she is stressed") == ["she"]


def test_one_pronoun_per_message_and_a_statement_wins(nlp: Language) -> None:
    assert pronouns(nlp, "my partner cries, he says, but he uses they/them") == ["they"]
    assert pronouns(nlp, "my hubby dumped me and he cried, he really did") == ["he"]
