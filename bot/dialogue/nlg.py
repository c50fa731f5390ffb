"""Response generation that mirrors the user's word for their partner.

Rasa's templated NLG fills ``{slot}`` placeholders from slots only. The responses here
also say ``{partner}`` ("wife", "boyfriend", ...) and ``{they}``/``{them}``/``{their}``
(and ``{They}``/``{Their}``), derived from the ``partner`` and ``pronoun`` slots, so a
user who writes about their wife reads "your wife ... she", and one who never says
reads "your partner ... they". A pronoun the user stated for the partner ("my boyfriend
uses they/them") beats the gender the word implies (bot/partner_words.py); it holds
for that partner only: a new partner word in a later message, without a pronoun of
its own, goes back to the word's gender (``pronoun_in_effect``).

The safety answers also say ``{emergency}`` and ``{helplines}``: the crisis resources
of the site owner's region that fit the kind of danger (``crisis_kind`` slot), from
data/safety_resources.yml (bot/dialogue/safety_resources.py).

"The second one", said right after a numbered list (entity and slot ``ordinal``),
picks the list's n-th item: the detail responses choose their variant by a categorical
slot (``reason``, ``tip``) whose values are listed in the list's order, so
the n-th value of that slot is the item meant.

Enabled in endpoints.yml::

    nlg:
      type: bot.dialogue.nlg.PartnerAwareNLG
      safety_region: intl    # or us, uk, ie, eu; BOT_SAFETY_REGION wins
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.constants import DEFAULT_CATEGORICAL_SLOT_VALUE
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    AllSlotsReset,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import CategoricalSlot, Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.dialogue.safety_resources import choose_region, resource_variables
from bot.partner_words import word_gender

DEFAULT_PARTNER = "partner"
ORDINAL = "ordinal"
# only a message that picks from a list reads its number so ("he hit me for the 2nd
# time" must not choose the second kind of safety answer)
PICKING_INTENTS = frozenset({"choose_option", "ask_reason_detail"})
# the words of ordinals are read by data/patterns.yml (entity ordinal): "1".."9" or "last"
LAST = "last"
PARTNER_SLOT = "partner"
PRONOUN_SLOT = "pronoun"

PRONOUNS = {
    "he": {"they": "he", "them": "him", "their": "his"},
    "she": {"they": "she", "them": "her", "their": "her"},
    "they": {"they": "they", "them": "them", "their": "their"},
}


def partner_variables(partner: str | None, pronoun: str | None) -> dict[str, str]:
    """Placeholder values for a partner word and the pronoun stated for it, if any.

    The stated pronoun (he, she or they) wins; without one, the word's gender; for
    a neutral word or none, "they".
    """
    # a typed "/intent{...}" can set these slots to any JSON value: use strings only
    word = partner.strip().lower() if isinstance(partner, str) else ""
    word = word or DEFAULT_PARTNER
    pronoun = pronoun if isinstance(pronoun, str) else None
    gender = pronoun if pronoun in PRONOUNS else (word_gender(word) or "they")
    forms = PRONOUNS[gender]
    return {
        "partner": word,
        **forms,
        **{key.capitalize(): value.capitalize() for key, value in forms.items()},
    }


def named_in(tracker: DialogueStateTracker) -> set[str]:
    """The entities of the user's latest message."""
    message = tracker.latest_message
    return {entity.get("entity") for entity in (message.entities if message else [])}


def pronoun_in_effect(events: Iterable[Event]) -> str | None:
    """The ``pronoun`` slot's value, unless it was said for an earlier partner word.

    The slots change turn by turn (the events after one user message, up to the
    next). A turn whose ``partner`` differs from the one before forgets the pronoun,
    unless the same turn sets one. Setting the same word again keeps it: "my
    boyfriend uses they/them", then "my boyfriend cried", is still "they".
    """
    partner: Any = None
    pronoun: Any = None
    pronoun_set = False  # in this turn
    for event in events:
        if isinstance(event, UserUttered):
            pronoun_set = False
        elif isinstance(event, (Restarted, SessionStarted, AllSlotsReset)):
            partner = pronoun = None
            pronoun_set = False
        elif isinstance(event, SlotSet) and event.key == PARTNER_SLOT:
            if event.value != partner:
                partner = event.value
                if not pronoun_set:
                    pronoun = None
        elif isinstance(event, SlotSet) and event.key == PRONOUN_SLOT:
            pronoun, pronoun_set = event.value, True
    return pronoun


class PartnerAwareNLG(TemplatedNaturalLanguageGenerator):
    """Templated responses with the partner placeholders filled in."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None):
        domain = domain or Domain.empty()
        super().__init__(domain.responses)
        settings = endpoint_config.kwargs if endpoint_config else {}
        self.region = choose_region(settings.get("safety_region"))

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        slots = {**tracker.current_slot_values(), PRONOUN_SLOT: pronoun_in_effect(tracker.events)}
        intent = (tracker.latest_message.intent if tracker.latest_message else {}).get("name")
        if intent in PICKING_INTENTS and ORDINAL in named_in(tracker):
            chosen = self.chosen_item(utter_action, slots.get(ORDINAL), tracker.slots.values())
            # a value named outright ("the second, the empathy one") beats the number
            slots = {**slots, **{k: v for k, v in chosen.items() if k not in named_in(tracker)}}
        return self.generate_from_slots(utter_action, slots, output_channel, **kwargs)

    def chosen_item(self, utter_action: str, ordinal: Any, slots: Iterable[Slot]) -> dict[str, str]:
        """The slot value that the n-th item of a response's list stands for, if any.

        The slots come from the tracker: Rasa gives this generator the domain's
        responses only once the model is loaded, not its slots.
        """
        names = {
            condition.get("name")
            for variant in self.responses.get(utter_action, [])
            for condition in variant.get("condition") or []
        }
        for slot in slots:
            if slot.name not in names or not isinstance(slot, CategoricalSlot):
                continue
            values = [v for v in slot.values if v != DEFAULT_CATEGORICAL_SLOT_VALUE]
            if ordinal == LAST:
                return {slot.name: values[-1]}
            if isinstance(ordinal, str) and ordinal.isdigit() and 1 <= int(ordinal) <= len(values):
                return {slot.name: values[int(ordinal) - 1]}
        return {}

    def _fill_response(
        self,
        response: dict[str, Any],
        filled_slots: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        slots = filled_slots or {}
        values = {
            **{k: v for k, v in slots.items() if v is not None},
            **partner_variables(slots.get("partner"), slots.get("pronoun")),
            **resource_variables(self.region, slots.get("crisis_kind")),
            **kwargs,
        }
        if "text" in response:
            response["text"] = interpolate_text(response["text"], values)
        # Only titles: payloads such as '/intent{"slot": "x"}' hold braces of their own.
        for button in response.get("buttons") or []:
            button["title"] = interpolate_text(button["title"], values)
        return response
