"""A Rasa graph component that finds danger in any sentence of a message, and its kind.

Place it after ``PatternIntentMatcher`` and before ``FallbackClassifier``::

    - name: bot.nlu.crisis_detector.CrisisDetector
      threshold: 0.9              # a sentence this likely to be a crisis makes it one
      keep_model_crisis_at: 0.8   # below this, the classifier's "crisis" is not believed
      clauses: false              # also score each clause of a sentence

A long message that tells an ordinary story can hide one dangerous sentence ("she
cried when we broke up and took a bunch of pills"): the words of the story outvote it
in a classifier that reads the whole message. This component reads the message
whole and sentence by sentence (spaCy's sentencizer), optionally each sentence clause
by clause (at commas and at "and", "but", "then", ...), and scores every piece with a
small logistic regression of its own (scikit-learn: tf-idf of word 1-2-grams and
character 2-5-grams, trained on the crisis examples against all others). The most
dangerous piece decides:

- a crisis rule already decided (``intent_source.rule`` is ``crisis/<kind>``): the
  rule's name is the kind;
- otherwise a piece at or above ``threshold`` makes the message a crisis, whatever the
  topic rule or the classifier said; the parse says which piece, under
  ``intent_source``: ``{"decided_by": "crisis_model", "sentence": ..., "probability": ...}``;
- the intent classifier's own "crisis" stands only when some piece reaches
  ``keep_model_crisis_at`` ("he's dead to me", "she'll murder me for eating her ice
  cream" read as danger to a bag-of-words model); otherwise its next intent is taken.

Every crisis gets the entity ``crisis_kind`` (self_harm, partner_self_harm, violence,
sexual_violence, stalking, confinement, child_danger): from the rule, or from a second
logistic regression trained on the kinds of the crisis examples (``metadata:
crisis_kind`` of their block in data/nlu.yml). Kinds that make the relationship
unsafe also get the entity ``partner_unsafe``, which the dialogue keeps, so that the
articles' advice for a safe relationship is not given afterwards.
"""

from __future__ import annotations

import logging
import pickle
import re
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    METADATA,
    METADATA_INTENT,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.nlu.intent_matcher import INTENT_SOURCE, ORDINARY_SPANS, set_certain_intent
from bot.nlu.patterns import CRISIS

logger = logging.getLogger(__name__)

KINDS = (
    "self_harm",
    "partner_self_harm",
    "violence",
    "sexual_violence",
    "stalking",
    "confinement",
    "child_danger",
)
# dangers that come from the partner: the articles' advice assumes a safe relationship
UNSAFE_KINDS = frozenset({"violence", "sexual_violence", "stalking", "confinement"})
KIND_ENTITY = "crisis_kind"
UNSAFE_ENTITY = "partner_unsafe"
MODEL_FILE = "crisis_detector.pkl"
# where a sentence splits into clauses: punctuation and the words that join clauses
CLAUSE_BREAK = re.compile(
    r"[,;:!?()]+|\s(?:and|but|then|so|because|bc|cause|cuz|though|tho|while|after|until)\s"
)


BLANK = "\x00"  # stands for the characters of a phrase left out
# a piece that lost a phrase keeps its place only with this many words left: what
# remains of "my son cries when i cry." is "my .", which means nothing
MIN_WORDS_LEFT = 3


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + BLANK * (end - start) + text[end:]
    return text


def _kept(piece: str) -> str | None:
    if BLANK in piece:
        piece = piece.replace(BLANK, " ")
        if len(re.findall(r"\w+", piece)) < MIN_WORDS_LEFT:
            return None
    piece = re.sub(r"\s+", " ", piece).strip()
    return piece if len(piece) > 2 else None


def pieces(message: Message, clauses: bool = False) -> list[str]:
    """The whole text, its sentences and, with ``clauses``, their clauses (lowercased,
    in order, no repeats).

    The phrases that the crisis rules' exceptions name as ordinary (``unless`` in
    data/patterns.yml, found by PatternIntentMatcher) are left out: an idiom the rules
    know ("i'm scared he'll leave me") is no evidence of danger for the model either.
    """
    spans = message.get(ORDINARY_SPANS) or []
    doc = message.get(SPACY_DOCS[TEXT])
    if doc is not None and doc.has_annotation("SENT_START"):
        # the doc's text: the one the spans were found in
        text = _blanked(doc.text, spans).lower()
        sentences = [text[s.start_char : s.end_char] for s in doc.sents]
    else:
        text = (message.get(TEXT) or "").lower()
        sentences = re.split(r"(?<=[.!?])\s+|\n+", text)
    found = [text]
    for sentence in sentences:
        found.append(sentence)
        if clauses:
            found += CLAUSE_BREAK.split(f" {sentence} ")
    kept = (_kept(p) for p in found)
    seen: set[str] = set()
    return [p for p in kept if p and not (p in seen or seen.add(p))]


def _vectoriser() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class CrisisDetector(GraphComponent, EntityExtractorMixin):
    """Makes a message a crisis when any of its sentences is one; names the kind."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # a piece of the message at least this likely to be a crisis decides. In
            # 5-fold cross-validation of data/nlu.yml, 0.8 found 40% of the crises no
            # rule names, at 1% false alarms (0.5: 87%, at 6%); the development
            # messages (tests/safety/devset.yml), hard ones, chose 0.9 with the next
            "threshold": 0.9,
            # the intent classifier's "crisis" is kept only when some piece is at least
            # this likely to be one: two models agreeing, where one alone is not sure.
            # On the development messages, with threshold 0.9: false alarms 10.7% at
            # 0.7, 2.4% at 0.8, none at 0.9 (where the classifier adds nothing)
            "keep_model_crisis_at": 0.8,
            # also score each clause of each sentence: no better in cross-validation,
            # and more false alarms
            "clauses": False,
            # also train on each sentence of the ordinary examples, as ordinary: on
            # the development messages, far fewer everyday messages taken for a crisis
            "sentence_negatives": True,
            # a crisis example of several sentences teaches its most dangerous sentence
            # as the crisis, not the whole story: a first model picks that sentence,
            # the story's sentences it scores below 0.5 become ordinary ones, and a
            # second model is trained on that. At run time the most dangerous piece
            # decides, so "we broke up at a coffee shop" of a crisis story is not
            # learnt as danger
            "witness_sentences": False,
            # inverse regularisation strength of both logistic regressions
            "C": 1.0,
            "random_seed": 0,
        }

    @staticmethod
    def required_components() -> list[type]:
        from rasa.nlu.utils.spacy_utils import SpacyNLP

        return [SpacyNLP]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        crisis_model: Pipeline | None = None,
        kind_model: Pipeline | None = None,
    ) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self.crisis_model = crisis_model
        self.kind_model = kind_model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisDetector:
        return cls(config, model_storage, resource)

    # -- training ------------------------------------------------------------------

    def _regression(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.component_config["C"],
            class_weight="balanced",
            max_iter=2000,
            random_state=self.component_config["random_seed"],
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        texts = [m.get(TEXT).lower() for m in examples]
        is_crisis = [m.get(INTENT) == CRISIS for m in examples]
        if not any(is_crisis) or all(is_crisis):
            logger.warning(
                "CrisisDetector needs examples of the 'crisis' intent and of others; "
                "it will only name the kind of crisis rules."
            )
        else:
            pieces_of, labels = list(texts), list(is_crisis)
            if self.component_config["sentence_negatives"]:
                # the detector scores sentences too: teach it the sentences of ordinary
                # stories, not only whole ones
                for message, crisis in zip(examples, is_crisis, strict=True):
                    if not crisis:
                        sentences = pieces(message)[1:]
                        pieces_of += sentences
                        labels += [False] * len(sentences)
            self.crisis_model = Pipeline([("features", _vectoriser()), ("lr", self._regression())])
            self.crisis_model.fit(pieces_of, labels)
            if self.component_config["witness_sentences"]:
                pieces_of, labels = self._with_witnesses(examples, is_crisis, pieces_of, labels)
                # the first model's features, and its weights as the starting point,
                # so the refit needs few iterations of the solver
                features, regression = self.crisis_model.named_steps.values()
                regression.set_params(warm_start=True)
                regression.fit(features.transform(pieces_of), labels)

        kinds = [(t, self._kind_of(m)) for t, m in zip(texts, examples, strict=True)]
        kinds = [(t, k) for t, k in kinds if k is not None]
        unknown = sorted({k for _, k in kinds} - set(KINDS))
        if unknown:
            logger.warning(f"CrisisDetector: unknown crisis_kind {unknown}; known: {KINDS}")
        if len({k for _, k in kinds}) >= 2:
            self.kind_model = Pipeline([("features", _vectoriser()), ("lr", self._regression())])
            self.kind_model.fit([t for t, _ in kinds], [k for _, k in kinds])
        elif any(is_crisis):
            logger.warning(
                "CrisisDetector: give the crisis examples a 'crisis_kind' (metadata of "
                "their intent block); without it a crisis the model finds gets no kind."
            )
        with (
            self._model_storage.write_to(self._resource) as directory,
            open(directory / MODEL_FILE, "wb") as file,
        ):
            pickle.dump({"crisis": self.crisis_model, "kind": self.kind_model}, file)
        return self._resource

    def _with_witnesses(
        self,
        examples: list[Message],
        is_crisis: list[bool],
        pieces_of: list[str],
        labels: list[bool],
    ) -> tuple[list[str], list[bool]]:
        """The training pieces with each crisis story replaced by its most dangerous
        sentence (by the first model), its clearly ordinary sentences as ordinary."""
        crisis_column = list(self.crisis_model.classes_).index(True)
        stories = {}
        for message, crisis in zip(examples, is_crisis, strict=True):
            sentences = pieces(message)[1:]
            if crisis and len(sentences) > 1:
                stories[message.get(TEXT).lower()] = sentences
        kept = [(p, c) for p, c in zip(pieces_of, labels, strict=True) if p not in stories]
        # one call for all the stories' sentences: a call per story costs 3 s here
        every = [s for sentences in stories.values() for s in sentences]
        all_scores = self.crisis_model.predict_proba(every)[:, crisis_column]
        offset = 0
        for sentences in stories.values():
            scores = all_scores[offset : offset + len(sentences)]
            offset += len(sentences)
            best = int(np.argmax(scores))
            kept.append((sentences[best], True))
            kept += [(s, False) for i, s in enumerate(sentences) if i != best and scores[i] < 0.5]
        return [p for p, _ in kept], [c for _, c in kept]

    @staticmethod
    def _kind_of(message: Message) -> str | None:
        if message.get(INTENT) != CRISIS:
            return None
        metadata = (message.get(METADATA) or {}).get(METADATA_INTENT) or {}
        return metadata.get(KIND_ENTITY)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrisisDetector:
        try:
            with (
                model_storage.read_from(resource) as directory,
                open(directory / MODEL_FILE, "rb") as file,
            ):
                models = pickle.load(file)  # written by this class in train()
        except (ValueError, FileNotFoundError):
            logger.warning("CrisisDetector found no trained models; it names rule kinds only.")
            models = {}
        return cls(config, model_storage, resource, models.get("crisis"), models.get("kind"))

    # -- reading a message -------------------------------------------------------

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if message.get(TEXT):
                self._decide(message)
        return messages

    def _most_dangerous(self, message: Message) -> tuple[str, float]:
        if self.crisis_model is None:
            return "", 0.0
        found = pieces(message, self.component_config["clauses"])
        if not found:
            return "", 0.0
        crisis_column = list(self.crisis_model.classes_).index(True)
        probabilities = self.crisis_model.predict_proba(found)[:, crisis_column]
        best = int(np.argmax(probabilities))
        return found[best], float(probabilities[best])

    def _decide(self, message: Message) -> None:
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        source = message.get(INTENT_SOURCE) or {}
        rule = source.get("rule") or ""
        if intent == CRISIS and rule.startswith(f"{CRISIS}/"):
            self._add_kind(message, rule.split("/", 1)[1], rule)
            return
        piece, probability = self._most_dangerous(message)
        if probability >= self.component_config["threshold"]:
            model_said = message.get(INTENT) or {}
            set_certain_intent(message, CRISIS)
            message.set(
                INTENT_SOURCE,
                {
                    "decided_by": "crisis_model",
                    "sentence": piece,
                    "probability": round(probability, 3),
                    "model_said": model_said,
                },
                add_to_output=True,
            )
            self._add_kind(message, self._kind(piece), "crisis_model")
        elif intent == CRISIS:
            if probability >= self.component_config["keep_model_crisis_at"]:
                self._add_kind(message, self._kind(piece or message.get(TEXT)), "model")
            else:
                self._take_next_intent(message, probability)

    def _kind(self, text: str) -> str | None:
        if self.kind_model is None:
            return None
        return str(self.kind_model.predict([text.lower()])[0])

    def _take_next_intent(self, message: Message, probability: float) -> None:
        """The classifier said crisis, but no piece of the message reads as one.

        The other intents' confidences are renormalised to what they are given that
        the message is not a crisis: left as they were, the runner-up of an ordinary
        story the classifier half took for danger ("she cried to get me back", 0.4
        against crisis 0.6) would fall under FallbackClassifier's threshold.
        """
        ranking = [
            dict(r)
            for r in message.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) != CRISIS
        ]
        if not ranking:
            return
        rest = sum(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0 for r in ranking)
        if rest > 0:
            for r in ranking:
                r[PREDICTED_CONFIDENCE_KEY] = (r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) / rest
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        source = dict(message.get(INTENT_SOURCE) or {})
        source.update({"crisis_not_kept": round(probability, 3)})
        message.set(INTENT_SOURCE, source, add_to_output=True)

    def _add_kind(self, message: Message, kind: str | None, source: str) -> None:
        if kind is None:
            return
        text = message.get(TEXT) or ""
        entities = [
            {
                ENTITY_ATTRIBUTE_TYPE: name,
                ENTITY_ATTRIBUTE_VALUE: value,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                "source": source,
            }
            for name, value in [(KIND_ENTITY, kind)]
            + ([(UNSAFE_ENTITY, "true")] if kind in UNSAFE_KINDS else [])
        ]
        message.set(
            ENTITIES,
            message.get(ENTITIES, []) + self.add_extractor_name(entities),
            add_to_output=True,
        )
