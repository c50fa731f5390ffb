"""CrisisDetector as a Rasa graph component: train, persist, load, and decide."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.crisis_detector import CrisisDetector, pieces
from bot.nlu.intent_matcher import INTENT_SOURCE, ORDINARY_SPANS
from bot.nlu.spacy_pipeline import build

DANGER = {
    "violence": ["he hit me again", "she punched me in the face", "he hits me when he is angry"],
    "self_harm": ["i want to die", "i want to end my life", "i don't want to live"],
}
ORDINARY = {
    "partner_cries_with_me": [
        "my boyfriend cries when i cry",
        "she cries whenever i cry",
        "he tears up when i am sad",
    ],
    "greet": ["hello", "hi there", "good morning"],
}


@pytest.fixture(scope="module")
def spacy_nlp(tmp_path_factory: pytest.TempPathFactory) -> SpacyNLP:
    path = build(tmp_path_factory.mktemp("spacy") / "en")
    config = {**SpacyNLP.get_default_config(), "model": str(path)}
    return SpacyNLP.create(config, None, None, None)  # type: ignore[arg-type]


def training_data(spacy_nlp: SpacyNLP) -> TrainingData:
    messages = [
        Message.build(text, "crisis", metadata={"intent": {"crisis_kind": kind}})
        for kind, texts in DANGER.items()
        for text in texts * 4
    ] + [Message.build(t, intent) for intent, texts in ORDINARY.items() for t in texts * 4]
    data = TrainingData(messages)
    spacy_nlp.process_training_data(data, spacy_nlp.provide())
    return data


def storage(tmp_path: Path):
    (tmp_path / "storage").mkdir(exist_ok=True)
    return (
        LocalModelStorage(tmp_path / "storage"),
        Resource("crisis"),
        ExecutionContext(GraphSchema({}), "test"),
    )


@pytest.fixture
def detector(spacy_nlp: SpacyNLP, tmp_path: Path) -> CrisisDetector:
    config = {**CrisisDetector.get_default_config(), "threshold": 0.6}
    model_storage, resource, context = storage(tmp_path)
    CrisisDetector.create(config, model_storage, resource, context).train(training_data(spacy_nlp))
    return CrisisDetector.load(config, model_storage, resource, context)


def decide(spacy_nlp: SpacyNLP, detector: CrisisDetector, text: str, intent: str) -> Message:
    message = Message.build(text)
    message.set("intent", {"name": intent, "confidence": 0.7})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.7}])
    spacy_nlp.process([message], spacy_nlp.provide())
    return detector.process([message])[0]


def entity(message: Message, name: str) -> str | None:
    return next((e["value"] for e in message.get("entities", []) if e["entity"] == name), None)


def test_a_dangerous_sentence_inside_an_ordinary_story_decides(spacy_nlp, detector) -> None:
    text = "My boyfriend cries when I cry. Yesterday he hit me again. Why does he cry?"
    message = decide(spacy_nlp, detector, text, "partner_cries_with_me")
    assert message.get("intent")["name"] == "crisis"
    source = message.get(INTENT_SOURCE)
    assert source["decided_by"] == "crisis_model"
    assert source["model_said"]["name"] == "partner_cries_with_me"
    assert entity(message, "crisis_kind") == "violence"
    assert entity(message, "partner_unsafe") == "true"


def test_the_kind_decides_whether_the_partner_is_unsafe(spacy_nlp, detector) -> None:
    message = decide(spacy_nlp, detector, "honestly i want to die", "greet")
    assert entity(message, "crisis_kind") == "self_harm"
    assert entity(message, "partner_unsafe") is None


def test_an_ordinary_message_stays_ordinary(spacy_nlp, detector) -> None:
    message = decide(spacy_nlp, detector, "my boyfriend cries when i cry", "partner_cries_with_me")
    assert message.get("intent")["name"] == "partner_cries_with_me"
    assert entity(message, "crisis_kind") is None


def test_the_classifiers_crisis_is_not_kept_alone(spacy_nlp, detector) -> None:
    message = Message.build("hello there")
    ranking = [
        {"name": "crisis", "confidence": 0.6},
        {"name": "greet", "confidence": 0.3},
        {"name": "thank", "confidence": 0.1},
    ]
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    spacy_nlp.process([message], spacy_nlp.provide())
    detector.process([message])
    assert message.get("intent")["name"] == "greet"
    assert "crisis_not_kept" in message.get(INTENT_SOURCE)
    # what the classifier thinks once danger is ruled out, not a runner-up's low score
    # that FallbackClassifier would refuse
    confidences = [r["confidence"] for r in message.get("intent_ranking")]
    assert confidences == pytest.approx([0.75, 0.25])
    assert message.get("intent")["confidence"] == pytest.approx(0.75)


def test_a_crisis_rule_names_the_kind(spacy_nlp, detector) -> None:
    message = Message.build("whatever the words")
    message.set("intent", {"name": "crisis", "confidence": 1.0})
    message.set(INTENT_SOURCE, {"decided_by": "rule", "rule": "crisis/stalking"})
    spacy_nlp.process([message], spacy_nlp.provide())
    detector.process([message])
    assert entity(message, "crisis_kind") == "stalking"
    assert entity(message, "partner_unsafe") == "true"


def test_pieces_are_the_whole_and_each_sentence(spacy_nlp) -> None:
    message = Message.build("He cried. Then he left!")
    spacy_nlp.process([message], spacy_nlp.provide())
    assert pieces(message) == ["he cried. then he left!", "he cried.", "then he left!"]


def test_phrases_the_rules_call_ordinary_are_no_evidence(spacy_nlp, detector) -> None:
    text = "Last week he hit me again. He cries when I cry."
    danger = text.index("he hit me again")
    message = Message.build(text)
    message.set(ORDINARY_SPANS, [(danger, danger + len("he hit me again"))])
    spacy_nlp.process([message], spacy_nlp.provide())
    # what is left of the first sentence is too little to be read
    assert pieces(message) == ["last week . he cries when i cry.", "he cries when i cry."]
    message.set("intent", {"name": "partner_cries_with_me", "confidence": 0.7})
    message.set("intent_ranking", [{"name": "partner_cries_with_me", "confidence": 0.7}])
    detector.process([message])
    assert message.get("intent")["name"] == "partner_cries_with_me"
    assert (
        decide(spacy_nlp, detector, text, "partner_cries_with_me").get("intent")["name"] == "crisis"
    )


def test_without_trained_models_only_rules_decide(spacy_nlp, tmp_path: Path) -> None:
    model_storage, resource, context = storage(tmp_path)
    config = CrisisDetector.get_default_config()
    loaded = CrisisDetector.load(config, model_storage, resource, context)
    message = decide(spacy_nlp, loaded, "he hit me again", "greet")
    assert message.get("intent")["name"] == "greet"


# crisis stories whose first sentence is an ordinary one about a breakup
STORIES = [
    "we broke up at the coffee shop last week. he hit me again",
    "we broke up at the coffee shop on friday. i want to die",
    "we broke up at the coffee shop in june. she punched me in the face",
]


def story_sentence_score(spacy_nlp: SpacyNLP, tmp_path: Path, witnesses: bool) -> float:
    data = training_data(spacy_nlp)
    stories = [
        Message.build(t, "crisis", metadata={"intent": {"crisis_kind": "violence"}})
        for t in STORIES * 4
    ]
    story_data = TrainingData(stories)
    spacy_nlp.process_training_data(story_data, spacy_nlp.provide())
    data = data.merge(story_data)
    config = {**CrisisDetector.get_default_config(), "witness_sentences": witnesses}
    (tmp_path / str(witnesses)).mkdir()
    model_storage, resource, context = storage(tmp_path / str(witnesses))
    detector = CrisisDetector.create(config, model_storage, resource, context)
    detector.train(data)
    column = list(detector.crisis_model.classes_).index(True)
    return detector.crisis_model.predict_proba(["we broke up at the coffee shop"])[0, column]


def test_a_crisis_story_teaches_its_dangerous_sentence_not_its_ordinary_one(
    spacy_nlp, tmp_path: Path
) -> None:
    plain = story_sentence_score(spacy_nlp, tmp_path, witnesses=False)
    witnessed = story_sentence_score(spacy_nlp, tmp_path, witnesses=True)
    assert witnessed < 0.5 < plain, (plain, witnessed)
