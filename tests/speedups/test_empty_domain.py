"""bot.speedups.empty_domain answers ``Domain.is_empty`` as Rasa does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa.shared.core.domain import Domain

from bot.paths import ROOT
from bot.speedups.empty_domain import use_cached_empty_domain, use_rasa_is_empty


@pytest.fixture
def both() -> Iterator[None]:
    yield
    use_cached_empty_domain()  # what bot.speedups.install() leaves in place


@pytest.mark.parametrize("use", [use_rasa_is_empty, use_cached_empty_domain])
def test_is_empty_answers_as_rasa_does(use, both) -> None:
    use()
    assert Domain.empty().is_empty()
    assert Domain.from_dict({}).is_empty()
    assert not Domain.load(str(ROOT / "domain.yml")).is_empty()
    assert not Domain.from_dict({"intents": ["greet"]}).is_empty()
    # a domain changed after the first answer is judged anew
    changed = Domain.empty()
    assert changed.is_empty()
    changed.as_dict()["intents"] = ["greet"]
    assert not changed.is_empty()
    assert Domain.empty().is_empty()
