"""A limit on message length, set in config.yml, that every channel gets.

Two graph components, one at each end of the NLU pipeline::

    - name: bot.nlu.message_limit.MessageLengthLimit    # first
      max_characters: 2000
    ...
    - name: bot.nlu.message_limit.LongMessageIntent     # last

``MessageLengthLimit`` also replaces lone surrogates (from JSON "\\ud800"), on which
the NLU pipeline fails, with U+FFFD. It cuts a longer message to ``max_characters`` before any other
component sees it (so 100,000 characters cost no more than 2,000) and marks it;
``LongMessageIntent``, after every classifier, gives a marked message the intent
``message_too_long``, to which a rule answers with a polite "please send it in
shorter parts". The tracker keeps the cut text only in the parse data.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_matcher import set_certain_intent

TOO_LONG_INTENT = "message_too_long"
# set on a cut message: the length it had before
ORIGINAL_LENGTH = "original_length"
DEFAULT_MAX_CHARACTERS = 2000
# a valid pair never reaches here: json.loads joins it into one code point
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(text: str) -> str:
    """``text`` with every unpaired surrogate code point replaced by U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text)


class _Stateless(GraphComponent):
    """A component with nothing to train or persist."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MessageLengthLimit(_Stateless):
    """Cuts messages longer than ``max_characters`` and marks them as too long."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_characters": DEFAULT_MAX_CHARACTERS}

    def process(self, messages: list[Message]) -> list[Message]:
        limit = int(self.component_config["max_characters"])
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            if len(text) > limit:
                message.set(ORIGINAL_LENGTH, len(text), add_to_output=True)
                text = text[:limit]
            message.set(TEXT, without_lone_surrogates(text))
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LongMessageIntent(_Stateless):
    """Overrides the intent of a message ``MessageLengthLimit`` marked as too long."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if message.get(ORIGINAL_LENGTH):
                set_certain_intent(message, TOO_LONG_INTENT)
        return messages
