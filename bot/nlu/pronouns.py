"""Which pronoun of a message is the partner's: the only one kept as the ``pronoun`` entity.

The pattern file's ``pronoun`` rules find every he/she/they form; most messages also
talk about other people ("my therapist says he thinks ..."), whose pronouns must not
become the partner's. A ``pronouns:`` section in data/patterns.yml turns this on::

    pronouns:
      entity: pronoun        # the entity whose hits are pronouns
      partner: partner       # the entity of the partner word
      people:                # words for other people, by the pronouns they take
        he: [dad, brother]
        she: [mom, sister]
        they: [people, everyone]
        any: [friend, therapist]

A pronoun is the partner's when

* it is *stated*: "they/them", "he/him", "(she)", "uses they", "goes by she",
  "pronouns are he", or right after the partner word and a comma ("my partner, she
  ...")—and the person named last before it is the partner, or the message names no
  one else;
* or it is a plain he or she form whose antecedent, the last person named before it
  who can take that pronoun, is the partner: a gendered partner word only takes its
  own ("my boyfriend ... she" is someone else's she), a neutral one any. With no one
  named before it, it is the partner's only if the message names no one else and
  every partner word in it can take it ("he cries when i cry").

A plain "they" is never taken: it is as often other people, or anyone ("they say
crying is healthy"). Of the partner's pronouns a stated one wins, then the first.
Names (Sam, Alex) are not recognised as people: the spaCy pipeline has no NER.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spacy.tokens import Doc

from bot.partner_words import word_gender

if TYPE_CHECKING:
    from bot.nlu.patterns import EntityHit

# the entity values, and also the subject forms: the ones that can follow "uses",
# "goes by", "pronouns are" or "my partner,"
GENDERS = frozenset({"he", "she", "they"})
FORMS = frozenset(
    {"he", "him", "his", "himself", "she", "her", "hers", "herself"}
    | {"they", "them", "their", "theirs", "themselves", "themself"}
)
APPOSITION = frozenset({",", "-", "\N{EN DASH}", "\N{EM DASH}", ":"})
Span = tuple[int, int]  # token indices


@dataclass(frozen=True)
class Mention:
    """A person named in the message: the partner or someone else."""

    start: int  # token index
    end: int
    genders: frozenset[str]  # the pronouns that can refer to them
    partner: bool


@dataclass(frozen=True)
class Pronoun:
    start: int  # token index
    gender: str
    stated: bool
    after_partner: bool  # stated right after the partner word ("my ex, they ...")


class PronounRules:
    """Filters the hits of one message down to the partner's pronoun."""

    def __init__(self, section: dict[str, Any]) -> None:
        self.entity = str(section.get("entity", "pronoun"))
        self.partner = str(section.get("partner", "partner"))
        self.people: dict[str, frozenset[str]] = {}  # lemma -> pronouns it takes
        for kind, words in (section.get("people") or {}).items():
            genders = GENDERS if kind == "any" else frozenset({kind})
            if not genders <= GENDERS:
                raise ValueError(f"pronouns.people: unknown kind {kind!r} (he, she, they, any)")
            for word in map(str.lower, map(str, words)):
                self.people[word] = self.people.get(word, frozenset()) | genders

    def keep(self, doc: Doc, hits: list[EntityHit]) -> list[EntityHit]:
        """``hits`` (EntityHit) with this entity's reduced to the partner's one, if any."""
        token_at = {token.idx: token.i for token in doc}
        spans = {id(hit): _token_span(doc, token_at, hit) for hit in hits}
        partner_hits = [h for h in hits if h.entity == self.partner]
        mentions = self._mentions(doc, [(spans[id(h)], h.value) for h in partner_hits])
        pronoun_hits = [h for h in hits if h.entity == self.entity and spans[id(h)]]
        chosen = self._choose(doc, mentions, [(spans[id(h)], h) for h in pronoun_hits])
        return [h for h in hits if h.entity != self.entity or h is chosen]

    def _mentions(
        self, doc: Doc, partner_spans: Iterable[tuple[Span | None, str]]
    ) -> list[Mention]:
        mentions = [
            Mention(span[0], span[1], _word_genders(value), partner=True)
            for span, value in partner_spans
            if span
        ]
        inside = {i for m in mentions for i in range(m.start, m.end)}
        for token in doc:
            genders = self.people.get(token.lemma_) or self.people.get(token.lower_)
            if genders and token.i not in inside:
                mentions.append(Mention(token.i, token.i + 1, genders, partner=False))
        return sorted(mentions, key=lambda m: m.start)

    def _choose(
        self, doc: Doc, mentions: list[Mention], pronoun_hits: list[tuple[Span, EntityHit]]
    ) -> EntityHit | None:
        partners: list[tuple[Pronoun, EntityHit]] = []
        for span, hit in pronoun_hits:
            pronoun = _read_pronoun(doc, span[0], hit.value, mentions)
            if pronoun and _is_the_partners(pronoun, mentions):
                partners.append((pronoun, hit))
        stated = [hit for pronoun, hit in partners if pronoun.stated]
        plain = [hit for pronoun, hit in partners if not pronoun.stated]
        return (stated or plain or [None])[0]


def _token_span(doc: Doc, token_at: dict[int, int], hit: EntityHit) -> Span | None:
    start = token_at.get(hit.start_char)
    if start is None:
        return None
    end = start
    while end < len(doc) and doc[end].idx < hit.end_char:
        end += 1
    return start, end


def _word_genders(value: str) -> frozenset[str]:
    gender = word_gender(value)
    return frozenset({gender}) if gender else GENDERS


def _read_pronoun(doc: Doc, i: int, gender: str, mentions: list[Mention]) -> Pronoun | None:
    """The pronoun at token ``i``; None for the second half of "they/them"."""
    if gender not in GENDERS:
        return None
    text = doc[i].lower_
    before = [t.lower_ for t in doc[max(0, i - 3) : i]]
    after = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    if before[-1:] == ["/"] and i >= 2 and doc[i - 2].lower_ in FORMS:
        return None  # "they/them": "they" speaks for both
    slash = after == "/" and i + 2 < len(doc) and doc[i + 2].lower_ in FORMS
    bracket = before[-1:] == ["("] and (after == ")" or slash)
    lemmas = [t.lemma_ for t in doc[max(0, i - 3) : i]]
    trigger = text in GENDERS and (
        lemmas[-1:] in (["use"], ["prefer"])
        or lemmas[-2:] == ["go", "by"]
        or "pronoun" in lemmas[-3:]
    )
    after_partner = (
        text in GENDERS
        and bool(before)
        and before[-1] in APPOSITION
        and any(m.partner and m.end == i - 1 for m in mentions)
    )
    stated = slash or bracket or trigger or after_partner
    return Pronoun(i, gender, stated, after_partner)


def _is_the_partners(pronoun: Pronoun, mentions: list[Mention]) -> bool:
    if pronoun.after_partner:
        return True
    if pronoun.gender == "they" and not pronoun.stated:
        return False
    before = [m for m in mentions if m.end <= pronoun.start]
    if not pronoun.stated:
        before = [m for m in before if pronoun.gender in m.genders]
    if before:
        return before[-1].partner
    if any(not m.partner for m in mentions):
        return False
    return pronoun.stated or all(pronoun.gender in m.genders for m in mentions)
