"""Token patterns for intents and entities, kept as data (``data/patterns.yml``).

A pattern is written in a small notation that compiles to spaCy ``Matcher`` patterns,
one space-separated item per token; the matcher runs on the lowercased spaCy doc that
``SpacyNLP`` made, so words are compared by lemma ("cry" matches cried, cries, crying):

=================  ========================================================
``cry``            a token whose lemma is ``cry``
``cry|sob``        alternatives
``@partner``       any lemma of the word set ``partner`` (``sets:`` in the file);
                   sets and words mix as alternatives: ``@kid|pet``
``really?``        optional token (also ``+`` one or more, ``*`` zero or more)
``_``              any one token (``_?`` optional)
``~``              a gap of up to three tokens
``{...}``          a raw spaCy token pattern in JSON, e.g. ``{"LOWER": "i"}``
``^ ... $``        the whole message must match (trailing punctuation aside)
``- *name``        a YAML alias of another rule's pattern list: those patterns too
=================  ========================================================

Raw spaCy patterns (a list of token dicts) are accepted in place of a string. Every
rule may list ``examples`` it must match; the test suite checks them.

A rule may also list ``unless`` patterns: a match of the rule is dropped where one of
them matches an overlapping span, so an idiom ("she'll kill me if she finds out I ate
her cake") does not count while a real threat elsewhere in the message still does.
Its ``not_examples`` must not match (tested too).

A ``pronouns:`` section keeps, of the pronoun entity's hits, only the partner's
(bot/nlu/pronouns.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rasa.shared.utils.io
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from bot.nlu.pronouns import PronounRules

Token = dict[str, Any]
GAP = 3  # tokens a `~` may skip: keeps matches local to one phrase
WHOLE = "$"  # matcher key suffix of whole-message patterns
UNLESS = "!"  # matcher key suffix of a rule's exceptions
CRISIS = "crisis"


class PatternError(ValueError):
    """The pattern file is malformed; the message says where."""


@dataclass(frozen=True)
class Rule:
    """One named pattern list that yields an intent or an entity value."""

    key: str  # unique matcher key, e.g. "intent:crisis/harm_self"
    kind: str  # "intent" or "entity"
    label: str  # intent name, or entity name
    value: str | None  # normalised entity value (entities only)
    priority: int
    patterns: tuple[tuple[Token, ...], ...]
    examples: tuple[str, ...] = ()
    whole_patterns: tuple[tuple[Token, ...], ...] = ()  # must span the whole message
    unless: tuple[tuple[Token, ...], ...] = ()  # a match overlapping one of these is dropped
    not_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntentHit:
    intent: str
    rule: str
    start: int
    end: int


@dataclass(frozen=True)
class EntityHit:
    entity: str
    value: str
    rule: str
    start_char: int
    end_char: int
    text: str


@dataclass
class MatchResult:
    intent: IntentHit | None = None
    entities: list[EntityHit] = field(default_factory=list)
    # character spans where an exception of a crisis rule matched: phrases known to be
    # ordinary ("i'm scared he'll leave me", "she'll kill me if she finds out")
    ordinary_spans: list[tuple[int, int]] = field(default_factory=list)


def _token(item: str, sets: dict[str, list[str]]) -> Token:
    """Compile one notation item into a spaCy token pattern."""
    if item.startswith("{"):
        try:
            return json.loads(item)
        except json.JSONDecodeError as e:
            raise PatternError(f"bad raw token pattern {item!r}: {e}") from e
    if item == "~":
        return {"OP": "?"}  # expanded into GAP optional tokens by _compile
    op = item[-1] if item[-1] in "?+*" and len(item) > 1 else None
    word = item[:-1] if op else item
    if word == "_":
        token: Token = {}
    elif "|" in word or word.startswith("@"):
        lemmas: list[str] = []
        for alternative in filter(None, word.split("|")):
            if alternative.startswith("@"):
                if alternative[1:] not in sets:
                    raise PatternError(f"unknown word set {alternative}")
                lemmas += sets[alternative[1:]]
            else:
                lemmas.append(alternative)
        token = {"LEMMA": {"IN": lemmas}}
    else:
        token = {"LEMMA": word}
    if op:
        token["OP"] = op
    return token


def compile_pattern(pattern: str | list[Token], sets: dict[str, list[str]]) -> tuple[Token, ...]:
    """Compile a notation string (or pass through a raw spaCy pattern)."""
    if isinstance(pattern, list):
        if not all(isinstance(t, dict) for t in pattern):
            raise PatternError(f"raw pattern must be a list of token dicts: {pattern!r}")
        return tuple(pattern)
    if not isinstance(pattern, str) or not pattern.split():
        raise PatternError(f"empty or invalid pattern: {pattern!r}")
    tokens: list[Token] = []
    for item in pattern.split():
        if item == "~":
            tokens.extend({"OP": "?"} for _ in range(GAP))
        else:
            tokens.append(_token(item, sets))
    if all(t.get("OP") in ("?", "*") for t in tokens):
        raise PatternError(f"pattern {pattern!r} can match nothing at all")
    return tuple(tokens)


def _is_whole(pattern: str | list[Token]) -> bool:
    return isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$")


def _included(patterns: list[Any]) -> list[str | list[Token]]:
    """The patterns with each aliased list of patterns (a list of strings) inlined;
    a raw spaCy pattern is a list of token dicts and stays one pattern."""
    flat: list[str | list[Token]] = []
    for pattern in patterns:
        if isinstance(pattern, list) and all(isinstance(p, str) for p in pattern):
            flat.extend(pattern)
        else:
            flat.append(pattern)
    return flat


def _compile_all(
    patterns: list[str | list[Token]], sets: dict[str, list[str]]
) -> dict[str, tuple[tuple[Token, ...], ...]]:
    """Compile a rule's patterns, split into free ones and whole-message ones."""
    if not patterns:
        raise PatternError("a rule needs at least one pattern")
    patterns = _included(patterns)
    free = [compile_pattern(p, sets) for p in patterns if not _is_whole(p)]
    whole = [compile_pattern(p[1:-1], sets) for p in patterns if _is_whole(p)]  # type: ignore[index]
    return {"patterns": tuple(free), "whole_patterns": tuple(whole)}


def _rule_parts(rule: dict[str, Any], sets: dict[str, list[str]]) -> dict[str, Any]:
    """A rule's patterns, exceptions and examples, compiled."""
    return {
        **_compile_all(rule.get("patterns"), sets),
        "unless": tuple(compile_pattern(p, sets) for p in _included(rule.get("unless") or [])),
        "examples": tuple(rule.get("examples") or ()),
        "not_examples": tuple(rule.get("not_examples") or ()),
    }


def _lower_set(words: Iterable[Any]) -> list[str]:
    return sorted({str(w).lower() for w in words})


def parse_rules(data: dict[str, Any]) -> list[Rule]:
    """Turn the YAML document into compiled rules (raises PatternError)."""
    if not isinstance(data, dict):
        raise PatternError("pattern file must be a mapping")
    sets = {name: _lower_set(words) for name, words in (data.get("sets") or {}).items()}
    rules: list[Rule] = []

    for intent, spec in (data.get("intents") or {}).items():
        priority = int(spec.get("priority", 0))
        for name, rule in (spec.get("rules") or {}).items():
            rules.append(
                Rule(
                    key=f"intent:{intent}/{name}",
                    kind="intent",
                    label=intent,
                    value=None,
                    # a rule may rank above its intent's others ("priority" of its own)
                    priority=int(rule.get("priority", priority)),
                    **_rule_parts(rule, sets),
                )
            )

    for entity, values in (data.get("entities") or {}).items():
        for value, rule in values.items():
            rules.append(
                Rule(
                    key=f"entity:{entity}={value}",
                    kind="entity",
                    label=entity,
                    value=str(value),
                    priority=0,
                    **_rule_parts(rule, sets),
                )
            )
    if len({r.key for r in rules}) != len(rules):
        raise PatternError("rule names must be unique within an intent or entity")
    return rules


def read_pattern_file(path: str | Path) -> dict[str, Any]:
    try:
        return rasa.shared.utils.io.read_yaml_file(str(path))
    except FileNotFoundError as e:
        raise PatternError(f"pattern file {path} not found") from e


def file_fingerprint(path: str | Path) -> str:
    """Content hash, so that editing the patterns makes `rasa train` retrain."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


class PatternSet:
    """Compiled rules plus a spaCy Matcher built lazily for the docs' vocabulary."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.rules = {rule.key: rule for rule in parse_rules(data)}
        try:
            self.pronouns = PronounRules(data["pronouns"]) if data.get("pronouns") else None
        except ValueError as e:
            raise PatternError(str(e)) from e
        self._matcher: Matcher | None = None
        self._vocab: Vocab | None = None

    def _matcher_for(self, vocab: Vocab) -> Matcher:
        if self._matcher is None or self._vocab is not vocab:
            matcher = Matcher(vocab, validate=True)
            for rule in self.rules.values():
                if rule.patterns:
                    matcher.add(rule.key, [list(p) for p in rule.patterns])
                if rule.whole_patterns:
                    matcher.add(rule.key + WHOLE, [list(p) for p in rule.whole_patterns])
                if rule.unless:
                    matcher.add(rule.key + UNLESS, [list(p) for p in rule.unless])
            self._matcher, self._vocab = matcher, vocab
        return self._matcher

    def find(self, doc: Doc) -> list[tuple[str, int, int]]:
        """Every pattern's matches in ``doc``: (rule key, start token, end token)."""
        return [
            (doc.vocab.strings[i], start, end)
            for i, start, end in self._matcher_for(doc.vocab)(doc)
        ]

    def match(
        self,
        doc: Doc,
        whole: bool = True,
        within: Span | None = None,
        found: list[tuple[str, int, int]] | None = None,
    ) -> MatchResult:
        """The winning intent rule (if any) and every entity found in ``doc``.

        ``within`` (a sentence of ``doc``) reads only that span, as if it were a
        message of its own but without the whole-message patterns (``^ ... $``), and
        finds its intent rule only. ``found`` is what :meth:`find` gave for ``doc``, so
        that a message's sentences are read from one run of the matcher: a match lies
        in a sentence exactly when the sentence alone would match it.

        Intent ties are broken by priority, then by the longest span, then by the
        order of the file, so a crisis rule wins over anything else it overlaps. A
        rule's own ``priority`` ranks it above the other rules of its intent.
        """
        order = {key: i for i, key in enumerate(self.rules)}
        result = MatchResult()
        best: tuple[int, int, int] | None = None
        seen_entities: set[tuple[str, int, int]] = set()
        # a whole-message pattern may leave out trailing punctuation ("i did.")
        last = len(doc)
        while last > 0 and doc[last - 1].is_punct:
            last -= 1
        matches = self.find(doc) if found is None else found
        if within is not None:
            whole = False
            matches = [m for m in matches if within.start <= m[1] and m[2] <= within.end]
        exceptions: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in matches:
            if key.endswith(UNLESS):
                ruled = key[: -len(UNLESS)]
                exceptions.setdefault(ruled, []).append((start, end))
                if self.rules[ruled].label == CRISIS and within is None:
                    span = doc[start:end]
                    result.ordinary_spans.append((span.start_char, span.end_char))
        for key, start, end in matches:
            if key.endswith(UNLESS):
                continue
            if key.endswith(WHOLE):
                if not whole or start != 0 or end < last:
                    continue
                key = key[: -len(WHOLE)]
            if any(s < end and start < e for s, e in exceptions.get(key, ())):
                continue
            rule = self.rules[key]
            if rule.kind == "intent":
                rank = (rule.priority, end - start, -order[rule.key])
                if best is None or rank > best:
                    best = rank
                    result.intent = IntentHit(rule.label, rule.key.split(":", 1)[1], start, end)
            elif within is None:
                span = doc[start:end]
                key = (rule.label, span.start_char, span.end_char)
                if key not in seen_entities:
                    seen_entities.add(key)
                    result.entities.append(
                        EntityHit(
                            rule.label,
                            rule.value or "",
                            rule.key.split(":", 1)[1],
                            span.start_char,
                            span.end_char,
                            span.text,
                        )
                    )
        if self.pronouns and within is None:
            result.entities = self.pronouns.keep(doc, result.entities)
        result.entities = _longest_per_entity(result.entities)
        return result


def _longest_per_entity(hits: list[EntityHit]) -> list[EntityHit]:
    """One hit per entity value: the longest, then the first ("he dumped me" over
    "dumped me"; "he ... him" gives one `pronoun`), and no two overlapping hits of
    one entity."""
    kept: list[EntityHit] = []
    for hit in sorted(hits, key=lambda h: (h.start_char - h.end_char, h.start_char)):
        overlaps = (k for k in kept if k.start_char < hit.end_char and hit.start_char < k.end_char)
        same_value = (k for k in kept if k.value == hit.value)
        if not any(k.entity == hit.entity for k in (*overlaps, *same_value)):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start_char)
