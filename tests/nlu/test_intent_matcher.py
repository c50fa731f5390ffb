"""PatternIntentMatcher as a Rasa graph component: train, persist, load, process."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_matcher import INTENT_SOURCE, PatternIntentMatcher
from bot.nlu.spacy_pipeline import build

PATTERNS = """
sets:
  partner: [bf, wife]
intents:
  crisis:
    priority: 100
    rules:
      harm: {patterns: ["kill himself|herself"]}
  partner_cries_with_me:
    rules:
      with_me: {patterns: ["@partner ~ cry ~ when i cry"]}
entities:
  partner:
    boyfriend: {patterns: ["bf"]}
"""


@pytest.fixture(scope="module")
def spacy_nlp(tmp_path_factory: pytest.TempPathFactory) -> SpacyNLP:
    path = build(tmp_path_factory.mktemp("spacy") / "en")
    return SpacyNLP.create(
        {**SpacyNLP.get_default_config(), "model": str(path)},
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
    )


@pytest.fixture
def patterns_file(tmp_path: Path) -> Path:
    path = tmp_path / "patterns.yml"
    path.write_text(PATTERNS)
    return path


def make(patterns_file: Path, tmp_path: Path):
    (tmp_path / "storage").mkdir(exist_ok=True)
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("matcher")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**PatternIntentMatcher.get_default_config(), "patterns": str(patterns_file)}
    return config, storage, resource, context


@pytest.fixture
def matcher(patterns_file: Path, tmp_path: Path) -> PatternIntentMatcher:
    config, storage, resource, context = make(patterns_file, tmp_path)
    component = PatternIntentMatcher.create(config, storage, resource, context)
    component.train(TrainingData())
    return component


def parse(
    spacy_nlp: SpacyNLP,
    matcher: PatternIntentMatcher,
    text: str,
    model_intent: str | None = None,
    confidence: float = 0.6,
) -> Message:
    message = Message.build(text)
    if model_intent:
        message.set("intent", {"name": model_intent, "confidence": confidence})
        message.set("intent_ranking", [{"name": model_intent, "confidence": confidence}])
    spacy_nlp.process([message], spacy_nlp.provide())
    matcher.process([message])
    return message


def test_trained_then_loaded_component_decides_by_rule(
    spacy_nlp: SpacyNLP, patterns_file: Path, tmp_path: Path
) -> None:
    config, storage, resource, context = make(patterns_file, tmp_path)
    PatternIntentMatcher.create(config, storage, resource, context).train(TrainingData())
    patterns_file.unlink()  # the trained model must not need the file any more
    loaded = PatternIntentMatcher.load(config, storage, resource, context)

    message = parse(spacy_nlp, loaded, "My BF always cries when I cry", model_intent="greet")
    assert message.get("intent") == {"name": "partner_cries_with_me", "confidence": 1.0}
    assert message.get("intent_ranking") == [message.get("intent")]
    source = message.get(INTENT_SOURCE)
    assert source["decided_by"] == "rule"
    assert source["rule"] == "partner_cries_with_me/with_me"
    assert source["model_said"]["name"] == "greet"
    entity = message.get("entities")[0]
    assert (entity["entity"], entity["value"], entity["extractor"]) == (
        "partner",
        "boyfriend",
        "PatternIntentMatcher",
    )
    assert "intent_source" in message.as_dict(only_output_properties=True)


def test_without_a_match_the_model_decides(
    spacy_nlp: SpacyNLP, matcher: PatternIntentMatcher
) -> None:
    message = parse(spacy_nlp, matcher, "hello there", model_intent="greet")
    assert message.get("intent")["name"] == "greet"
    assert message.get(INTENT_SOURCE) == {"decided_by": "model"}


def test_crisis_priority_beats_a_longer_match(
    spacy_nlp: SpacyNLP, matcher: PatternIntentMatcher
) -> None:
    message = parse(spacy_nlp, matcher, "my bf cries when i cry and says he will kill himself")
    assert message.get("intent")["name"] == "crisis"


def test_editing_the_pattern_file_changes_the_fingerprint(patterns_file: Path) -> None:
    config = {"patterns": str(patterns_file)}
    before = PatternIntentMatcher.fingerprint_addon(config)
    assert before == PatternIntentMatcher.fingerprint_addon(config)
    patterns_file.write_text(PATTERNS + "\n# edited\n")
    assert PatternIntentMatcher.fingerprint_addon(config) != before


def test_a_broken_pattern_file_fails_training_clearly(patterns_file: Path, tmp_path: Path) -> None:
    from bot.nlu.patterns import PatternError

    patterns_file.write_text("intents:\n  greet:\n    rules:\n      hi: {patterns: ['@nope']}\n")
    config, storage, resource, context = make(patterns_file, tmp_path)
    with pytest.raises(PatternError, match="unknown word set @nope"):
        PatternIntentMatcher.create(config, storage, resource, context).train(TrainingData())


def test_a_rule_never_overrules_a_crisis_the_model_saw(
    spacy_nlp: SpacyNLP, matcher: PatternIntentMatcher
) -> None:
    message = parse(spacy_nlp, matcher, "my bf cries when i cry", model_intent="crisis")
    assert message.get("intent")["name"] == "crisis"
    assert message.get(INTENT_SOURCE) == {
        "decided_by": "model",
        "overruled_rule": "partner_cries_with_me/with_me",
    }
    # a confident rule still wins over a weak crisis guess
    message = Message.build("my bf cries when i cry")
    message.set("intent", {"name": "crisis", "confidence": 0.1})
    spacy_nlp.process([message], spacy_nlp.provide())
    matcher.process([message])
    assert message.get("intent")["name"] == "partner_cries_with_me"


COMFORT = "how do i comfort my bf when he cries when i cry"


@pytest.mark.parametrize(
    ("text", "model_intent", "confidence", "decided"),
    [
        # a confident model keeps another intent against a situation rule ...
        (COMFORT, "ask_what_to_do", 0.95, "ask_what_to_do"),
        # ... an unsure one does not
        (COMFORT, "ask_what_to_do", 0.85, "partner_cries_with_me"),
        # and no confidence keeps it against a crisis rule
        ("my bf says he will kill himself", "suspect_manipulation", 0.999, "crisis"),
    ],
)
def test_a_confident_model_keeps_its_intent_against_a_rule_but_not_a_crisis_rule(
    spacy_nlp: SpacyNLP,
    matcher: PatternIntentMatcher,
    text: str,
    model_intent: str,
    confidence: float,
    decided: str,
) -> None:
    assert matcher.component_config["model_overrules_at"] == 0.9
    message = parse(spacy_nlp, matcher, text, model_intent, confidence)
    assert message.get("intent")["name"] == decided
    source = message.get(INTENT_SOURCE)
    if decided == model_intent:
        assert source["decided_by"] == "model"
        assert source["overruled_rule"] == "partner_cries_with_me/with_me"
        assert message.get("intent")["confidence"] == confidence
    else:
        assert source["decided_by"] == "rule"


@pytest.fixture(scope="module")
def project_matcher(tmp_path_factory: pytest.TempPathFactory) -> PatternIntentMatcher:
    """The component trained on the project's own data/patterns.yml."""
    from bot.paths import ROOT

    tmp_path = tmp_path_factory.mktemp("project")
    config, storage, resource, context = make(ROOT / "data/patterns.yml", tmp_path)
    component = PatternIntentMatcher.create(config, storage, resource, context)
    component.train(TrainingData())
    return component


def entity_values(message: Message, entity: str) -> list[str]:
    return [e["value"] for e in message.get("entities", []) if e["entity"] == entity]


@pytest.mark.parametrize(
    ("text", "partner"),
    [
        # "ex" is kept, joined to the word it qualifies
        ("my ex-wife cried when i left", "ex-wife"),
        ("my ex bf cried when we broke up", "ex-boyfriend"),
        ("my ex boyfriend cries when i cry", "ex-boyfriend"),
        ("my ex girlfriend cried", "ex-girlfriend"),
        ("my ex husband cried at the divorce", "ex-husband"),
        ("my exwife cried", "ex-wife"),
        ("my ex cried when i ended it", "ex"),
        # plain words stay the user's own; short, misspelt and pet forms are written out
        ("my girl cries when i cry", "girl"),
        ("my guy cries when i cry", "guy"),
        ("my man cries when i cry", "man"),
        ("my woman cries when i cry", "woman"),
        ("my bf cries when i cry", "boyfriend"),
        ("my hubby cries when i cry", "husband"),
        ("my wifey cries when i cry", "wife"),
        ("my spouse cries when i cry", "spouse"),
        # pet names that are no word for a partner become "partner"
        ("my bae cries when i cry", "partner"),
        ("my boo cries when i cry", "partner"),
        ("my babe cries when i cry", "partner"),
    ],
)
def test_partner_words(
    spacy_nlp: SpacyNLP, project_matcher: PatternIntentMatcher, text: str, partner: str
) -> None:
    assert entity_values(parse(spacy_nlp, project_matcher, text), "partner") == [partner]


@pytest.mark.parametrize(
    ("text", "pronoun"),
    [
        ("my boyfriend uses they/them and cries when i cry", ["they"]),
        ("my partner (they/them) cried when we broke up", ["they"]),
        ("my partner, she cries whenever i cry", ["she"]),
        ("my therapist says he thinks my bf cries to manipulate me", []),
        ("my mom said she thinks his tears are fake", []),
        ("my friend told me he cries when his girlfriend cries", []),
    ],
)
def test_only_the_partners_pronoun_is_an_entity(
    spacy_nlp: SpacyNLP, project_matcher: PatternIntentMatcher, text: str, pronoun: list[str]
) -> None:
    assert entity_values(parse(spacy_nlp, project_matcher, text), "pronoun") == pronoun


SENTENCE_PATTERNS = PATTERNS.replace(
    "entities:",
    """  ask_what_to_do:
    priority: 15
    rules:
      what_to_do: {patterns: ["what should i do"]}
  suspect_manipulation:
    priority: 20
    rules:
      on_purpose: {patterns: ["on purpose"]}
  reverse_crying:
    rules:
      reverse: {patterns: ["i cry when my? @partner cry"]}
entities:""",
)


@pytest.fixture
def sentence_matcher(tmp_path: Path) -> PatternIntentMatcher:
    path = tmp_path / "sentence_patterns.yml"
    path.write_text(SENTENCE_PATTERNS)
    config, storage, resource, context = make(path, tmp_path)
    component = PatternIntentMatcher.create(config, storage, resource, context)
    component.train(TrainingData())
    return component


def test_the_question_asked_decides_over_the_story(
    spacy_nlp: SpacyNLP, sentence_matcher: PatternIntentMatcher
) -> None:
    text = "My bf cries when I cry. It happened again last night. Is he doing it on purpose?"
    message = parse(spacy_nlp, sentence_matcher, text, "suspect_manipulation")
    assert message.get("intent")["name"] == "suspect_manipulation"
    sentences = message.get("sentences")
    assert [s["question"] for s in sentences] == [False, False, True]
    assert sentences[0]["rule"] == "partner_cries_with_me/with_me"
    assert text[sentences[2]["start"] : sentences[2]["end"]] == "Is he doing it on purpose?"
    assert "sentences" in message.as_dict(only_output_properties=True)
    assert message.get(INTENT_SOURCE)["rule"] == "suspect_manipulation/on_purpose"


def test_a_question_no_rule_names_is_the_models_to_read(
    spacy_nlp: SpacyNLP, sentence_matcher: PatternIntentMatcher
) -> None:
    text = "My bf cries when I cry. It happened again last night. How do I handle it?"
    message = parse(spacy_nlp, sentence_matcher, text, "ask_what_to_do")
    assert message.get("intent")["name"] == "ask_what_to_do"
    assert any(e["entity"] == "partner" for e in message.get("entities"))
    # only the story's rule sees who cries when: it decides where the model cannot
    text = "My bf cries when I cry. It happened again last night. What makes him do that?"
    message = parse(spacy_nlp, sentence_matcher, text, "reverse_crying", 0.99)
    assert message.get("intent")["name"] == "partner_cries_with_me"


def test_a_rule_in_the_question_decides(
    spacy_nlp: SpacyNLP, sentence_matcher: PatternIntentMatcher
) -> None:
    text = "My bf cries when I cry. What should I do?"
    message = parse(spacy_nlp, sentence_matcher, text, "partner_cries_with_me")
    assert message.get("intent")["name"] == "ask_what_to_do"


def test_a_crisis_in_any_sentence_decides(
    spacy_nlp: SpacyNLP, sentence_matcher: PatternIntentMatcher
) -> None:
    text = "What should I do? My bf says he will kill himself."
    assert parse(spacy_nlp, sentence_matcher, text, "ask_what_to_do").get("intent")["name"] == (
        "crisis"
    )


def test_a_story_without_a_question_keeps_its_rule(
    spacy_nlp: SpacyNLP, sentence_matcher: PatternIntentMatcher
) -> None:
    text = "We were watching a film. My bf cries when I cry."
    message = parse(spacy_nlp, sentence_matcher, text, "greet")
    assert message.get("intent")["name"] == "partner_cries_with_me"


def test_one_sentence_lists_no_sentences(
    spacy_nlp: SpacyNLP, sentence_matcher: PatternIntentMatcher
) -> None:
    assert parse(spacy_nlp, sentence_matcher, "my bf cries when i cry").get("sentences") is None


def test_word_order_is_the_rules_to_tell(
    spacy_nlp: SpacyNLP, sentence_matcher: PatternIntentMatcher
) -> None:
    # the classifier sees the same words in both; only the rule sees who cries first
    message = parse(
        spacy_nlp, sentence_matcher, "i cry when my bf cries", "partner_cries_with_me", 0.99
    )
    assert message.get("intent")["name"] == "reverse_crying"
    message = parse(spacy_nlp, sentence_matcher, "my bf cries when i cry", "reverse_crying", 0.99)
    assert message.get("intent")["name"] == "partner_cries_with_me"
