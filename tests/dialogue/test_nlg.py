"""The partner word and pronouns the responses use."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain

from bot.dialogue.nlg import PartnerAwareNLG, partner_variables


@pytest.mark.parametrize(
    ("partner", "pronoun", "expected"),
    [
        ("wife", None, ("wife", "she", "her", "her")),
        ("husband", "she", ("husband", "he", "him", "his")),  # the word decides
        ("partner", "she", ("partner", "she", "her", "her")),
        ("ex", "he", ("ex", "he", "him", "his")),
        (None, None, ("partner", "they", "them", "their")),
        ("  ", None, ("partner", "they", "them", "their")),
    ],
)
def test_partner_variables(partner, pronoun, expected) -> None:
    values = partner_variables(partner, pronoun)
    assert (values["partner"], values["they"], values["them"], values["their"]) == expected
    assert values["They"] == expected[1].capitalize()


DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  partner: {type: text, mappings: [{type: custom}]}
  pronoun: {type: text, mappings: [{type: custom}]}
responses:
  utter_x:
    - text: "{They} may hug your {partner}"
      buttons:
        - title: "My {partner} did"
          payload: '/inform{"ended_by": "partner"}'
"""
)


def test_fills_text_and_titles_but_leaves_payloads_alone() -> None:
    nlg = PartnerAwareNLG(domain=DOMAIN)
    response = nlg.generate_from_slots("utter_x", {"partner": "gf"}, "rest")
    assert response["text"] == "They may hug your gf"
    assert response["buttons"][0]["title"] == "My gf did"
    assert response["buttons"][0]["payload"] == '/inform{"ended_by": "partner"}'
    response = nlg.generate_from_slots("utter_x", {"partner": "wife"}, "rest")
    assert response["text"] == "She may hug your wife"
