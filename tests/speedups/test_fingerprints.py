"""bot.speedups.fingerprints: a training cache key that changes exactly when the
message or its features change, as Rasa's own does.

Rasa's training cache reuses a node's output when its inputs' fingerprints are equal,
so two messages that differ anywhere (a token's text, span, lemma or data, a feature
value or position) must fingerprint differently, and equal ones equally.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np
import pytest
import scipy.sparse
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.speedups.fingerprints import use_fast_fingerprints, use_rasa_fingerprints


@pytest.fixture(autouse=True)
def fast_fingerprints() -> Iterator[None]:
    use_fast_fingerprints()
    yield
    use_fast_fingerprints()  # what bot.speedups.install() leaves in place


def tokens() -> list[Token]:
    return [
        Token("he", 0, lemma="he", data={"pos": "PRON"}),
        Token("cries", 3, lemma="cry", data={"pos": "VERB"}),
    ]


def features(values: list[float]) -> Features:
    matrix = scipy.sparse.coo_matrix(np.array([values, [0.0, 1.0, 0.0]]))
    return Features(matrix, "sequence", "text", "CountVectorsFeaturizer")


def message(token_list: list[Token] | None = None, values: list[float] | None = None) -> Message:
    msg = Message(data={"text": "he cries", "intent": "partner_cries_with_me"})
    msg.set("text_tokens", token_list if token_list is not None else tokens())
    msg.add_features(features(values if values is not None else [1.0, 0.0, 2.0]))
    return msg


def test_equal_content_gives_the_same_fingerprint() -> None:
    assert message().fingerprint() == message().fingerprint()


def changed_token(change: str) -> list[Token]:
    changed = tokens()
    if change == "text":
        changed[1].text = "cried"
    elif change == "span":
        changed[1].start = 4
    elif change == "lemma":
        changed[1].lemma = "crie"
    else:
        changed[1].data = {"pos": "NOUN"}
    return changed


@pytest.mark.parametrize("change", ["text", "span", "lemma", "data"])
def test_any_token_change_changes_the_fingerprint(change: str) -> None:
    assert message(changed_token(change)).fingerprint() != message().fingerprint()


@pytest.mark.parametrize(
    "values",
    [[1.0, 0.0, 3.0], [0.0, 1.0, 2.0], [1.0, 0.0, 0.0]],
    ids=["value", "position", "one-fewer"],
)
def test_any_feature_change_changes_the_fingerprint(values: list[float]) -> None:
    assert message(values=values).fingerprint() != message().fingerprint()


def test_dense_features_keep_rasas_fingerprint() -> None:
    dense = Features(np.array([[1.0, 2.0]]), "sentence", "text", "LexicalSyntacticFeaturizer")
    fast = dense.fingerprint()
    use_rasa_fingerprints()
    assert copy.deepcopy(dense).fingerprint() == fast


def test_rasas_fingerprints_are_restored() -> None:
    fast = message().fingerprint()
    use_rasa_fingerprints()
    rasa = message().fingerprint()
    assert rasa != fast  # another key: Rasa's per-token hashing
    assert rasa == message().fingerprint()
