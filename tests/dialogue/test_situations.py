"""The situations around the three topics, follow-ups in context, and the partner word.

Real-sounding first messages and short conversations, written apart from the training
data, played into the trained bot in process. Each test checks one behaviour on the
words of the responses in domain.yml that prove the right answer was given, and on the
words that must not be there:

1. situations: crying that is not a partner's, the reverse ("I cry when he cries"), a
   partner who cries often, happy tears, tears during arguments, "is it normal", "is it
   a red flag", "are the tears real";
2. follow-ups that only make sense after what the bot said last: "tell me more", "the
   second one", "the last one", "what else?", "yes" and "no" to an offer, "why?" alone;
3. the partner word and pronouns: the user's own word is mirrored, a pronoun belongs to
   the partner named, and a new partner word starts afresh.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import Conversation

pytestmark = pytest.mark.slow

# Words that only one response says (domain.yml).
OTHER_CRYING = "these tears aren't a partner's"  # utter_other_crying
FIVE_REASONS = "five plausible reasons"  # utter_reasons_crying_with_me
REVERSE = "not the other way round"  # utter_reverse_crying
CRIES_OFTEN = "cries often, not only when you do"  # utter_partner_cries_often
HAPPY_TEARS = "tears of joy"  # utter_happy_tears
ARGUMENTS = "don't talk about arguments"  # utter_cries_during_arguments
IS_NORMAL = "not many men cry"  # utter_is_normal
RED_FLAG = "don't treat tears as a red flag"  # utter_red_flag
TEARS_REAL = "give no test"  # utter_tears_real
WHICH_REASON = "Which reason would you like to hear more about?"  # utter_which_reason
WHICH_TIP = "Which tip would you like to hear more about?"  # utter_which_tip
WHAT_MORE = "Happy to say more"  # utter_ask_what_more
ANYTHING_ELSE = "Is there anything else about your"  # utter_anything_else
OFFER_ADVICE = "Would you like some advice"  # utter_offer_advice
BREAKUP_REASONS = ("sense of failure", "three reasons")  # utter_breakup_reasons
BREAKUP_ADVICE = "What the article advises"  # utter_breakup_advice, utter_manipulation_advice
NOT_UNDERSTOOD = "didn't quite understand"  # utter_default


def has_word(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` as a whole word, in any case."""
    return re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) is not None


def assert_none_of(text: str, *phrases: str) -> None:
    lowered = text.lower()
    for phrase in phrases:
        assert phrase.lower() not in lowered, (phrase, text)


# --- 1. situations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "my toddler cries every single morning when i drop him at daycare, it breaks my heart",
        "my daughter cries when I cry",
        "my mom cries when I cry, why does she do that",
        "my little brother starts bawling whenever i cry lol",
        "i sobbed through the whole film last night, is something wrong with me?",
        "why do onions make me cry so much when i'm cooking",
    ],
)
def test_crying_that_is_not_a_partners_is_outside_the_articles(
    conversation: Conversation, message: str
) -> None:
    text = conversation.texts(message)
    assert OTHER_CRYING in text, text
    assert_none_of(text, FIVE_REASONS, "kiss", "Mirror neurons:")


@pytest.mark.parametrize(
    "message",
    [
        "I cry when he cries",
        "why do i tear up every time my gf cries?",
        "whenever my husband starts crying i start crying too, what's wrong with me",
    ],
)
def test_reverse_crying_says_the_articles_are_about_the_partner(
    conversation: Conversation, message: str
) -> None:
    text = conversation.texts(message)
    assert REVERSE in text, text
    assert_none_of(text, FIVE_REASONS, "kiss")


@pytest.mark.parametrize(
    ("message", "partner", "pronoun"),
    [
        ("my boyfriend cries all the time, like about literally everything", "boyfriend", "he"),
        ("my wife cries over every little thing lately and i don't know why", "wife", "she"),
    ],
)
def test_partner_who_cries_often_gets_the_depression_reason(
    conversation: Conversation, message: str, partner: str, pronoun: str
) -> None:
    text = conversation.texts(message)
    assert CRIES_OFTEN in text and "depressed or frustrated" in text, text
    assert "find out" in text, text
    assert f"your {partner}" in text and has_word(text, pronoun), text


@pytest.mark.parametrize(
    "message",
    [
        "my husband cried all the way through our wedding vows",
        "he cried when I told him I love him for the first time",
        "my girlfriend burst into tears when i proposed, good tears i think",
    ],
)
def test_happy_tears_are_not_a_breakup(conversation: Conversation, message: str) -> None:
    text = conversation.texts(message)
    assert HAPPY_TEARS in text, text
    assert_none_of(text, *BREAKUP_REASONS, "Who ended", FIVE_REASONS)


@pytest.mark.parametrize(
    "message",
    [
        "my wife cries every time we argue",
        "why does my bf start crying whenever we have a fight?",
    ],
)
def test_tears_during_arguments_get_no_breakup_advice(
    conversation: Conversation, message: str
) -> None:
    text = conversation.texts(message)
    assert ARGUMENTS in text, text
    assert_none_of(text, BREAKUP_ADVICE, "Trust the decision", "taking", *BREAKUP_REASONS)


@pytest.mark.parametrize(
    "message", ["is it normal for men to cry", "is it unmanly for a guy to cry??"]
)
def test_is_it_normal_for_men_to_cry(conversation: Conversation, message: str) -> None:
    text = conversation.texts(message)
    assert IS_NORMAL in text and "healthy relationship" in text, text
    assert FIVE_REASONS not in text


@pytest.mark.parametrize(
    "message",
    ["is it a red flag when a guy cries?", "should i be worried that my girlfriend cries?"],
)
def test_is_it_a_red_flag(conversation: Conversation, message: str) -> None:
    text = conversation.texts(message)
    assert RED_FLAG in text and "be cautious" in text, text


@pytest.mark.parametrize(
    "message",
    [
        "how do I know if the tears are real",
        "how can i tell whether my husband's tears are genuine",
    ],
)
def test_how_to_tell_real_tears_says_there_is_no_test(
    conversation: Conversation, message: str
) -> None:
    text = conversation.texts(message)
    assert TEARS_REAL in text and "find out" in text, text


# --- 2. follow-ups in context -------------------------------------------------------------


def test_tell_me_more_after_the_reasons_asks_which(conversation: Conversation) -> None:
    assert FIVE_REASONS in conversation.texts("my husband tears up every time i cry")
    text = conversation.texts("tell me more")
    assert WHICH_REASON in text, text
    assert_none_of(text, "Empathy:", "brain cells", "let it all out")


def test_the_second_one_after_the_reasons_is_empathy(conversation: Conversation) -> None:
    conversation.say("my girlfriend always cries when i cry")
    text = conversation.texts("the second one")
    assert "Empathy: empathetic people" in text, text
    assert_none_of(text, "brain cells", "Emotional connection:")


def test_the_last_one_after_the_reasons_is_mirror_neurons(conversation: Conversation) -> None:
    conversation.say("my fiancé cries whenever i cry")
    text = conversation.texts("the last one")
    assert "brain cells that recreate" in text, text
    assert "Empathy:" not in text


def test_is_it_because_shes_depressed_gives_the_depression_detail(
    conversation: Conversation,
) -> None:
    conversation.say("my wife gets teary the moment i start crying")
    text = conversation.texts("is it because she's depressed?")
    assert "own troubles" in text and "let it all out" in text, text
    assert "your wife" in text and has_word(text, "her"), text


def test_the_fourth_tip_is_the_kiss_only_if_it_feels_right(conversation: Conversation) -> None:
    conversation.say("my boyfriend cries whenever i cry")
    assert "slow kiss" in conversation.texts("what should i do?")
    text = conversation.texts("the fourth one")
    assert "A kiss: the article calls" in text, text
    assert "Only if it feels right for you both" in text, text
    assert_none_of(text, "A hug:", "Holding hands:")


def test_what_else_after_the_tips_asks_which_tip(conversation: Conversation) -> None:
    conversation.say("my partner cries when i cry")
    conversation.say("how do i comfort them?")
    text = conversation.texts("what else?")
    assert WHICH_TIP in text, text
    assert WHICH_REASON not in text


def test_yes_to_advice_after_ending_it_says_trust_your_decision(conversation: Conversation) -> None:
    conversation.say("my girlfriend cried so hard when we broke up")
    assert OFFER_ADVICE in conversation.texts("I did")
    text = conversation.texts("yes")
    assert BREAKUP_ADVICE in text and "Trust the decision" in text, text


def test_yes_to_advice_when_the_partner_ended_it_has_no_trust_or_taking_back(
    conversation: Conversation,
) -> None:
    conversation.say("my husband cried when we broke up")
    conversation.say("he was the one who ended it")
    text = conversation.texts("yes")
    assert BREAKUP_ADVICE in text and "feeling sorry for" in text, text
    assert "trust the decision" not in text.lower(), text
    assert not re.search(r"taking \w+ back", text, re.IGNORECASE), text


def test_why_with_nothing_before_asks_what_more(conversation: Conversation) -> None:
    text = conversation.texts("why?")
    assert WHAT_MORE in text, text
    assert NOT_UNDERSTOOD not in text


def test_no_to_the_offer_of_advice_asks_anything_else(conversation: Conversation) -> None:
    conversation.say("my wife cried when we split up")
    conversation.say("i ended it")
    text = conversation.texts("no")
    assert ANYTHING_ELSE in text and "your wife" in text, text
    assert BREAKUP_ADVICE not in text


def test_no_after_the_reasons_asks_anything_else(conversation: Conversation) -> None:
    conversation.say("my bf cries every time i cry")
    text = conversation.texts("no")
    assert ANYTHING_ELSE in text, text
    assert_none_of(text, "hug", WHICH_REASON)


# --- 3. the partner word and pronouns ------------------------------------------------------


def test_they_them_partner_is_never_he(conversation: Conversation) -> None:
    text = conversation.texts("my boyfriend uses they/them and cries whenever i cry")
    assert FIVE_REASONS in text and has_word(text, "they"), text
    for word in ("he", "him", "his"):
        assert not has_word(text, word), (word, text)


def test_ex_wife_is_mirrored_whole(conversation: Conversation) -> None:
    text = conversation.texts("my ex-wife cried when we split")
    assert "your ex-wife" in text, text


def test_ex_bf_keeps_the_ex(conversation: Conversation) -> None:
    text = conversation.texts("my ex bf cries when i cry")
    assert re.search(r"\byour ex\b", text), text
    assert "your boyfriend" not in text


def test_my_girl_is_never_your_woman(conversation: Conversation) -> None:
    text = conversation.texts("my girl cries when I cry")
    assert FIVE_REASONS in text, text
    assert "your woman" not in text.lower(), text


def test_my_guy_is_never_your_man(conversation: Conversation) -> None:
    text = conversation.texts("my guy cries every time i cry, why")
    assert FIVE_REASONS in text, text
    assert not re.search(r"\byour man\b", text, re.IGNORECASE), text


def test_a_new_partner_word_resets_the_pronoun(conversation: Conversation) -> None:
    conversation.say("my girlfriend cries when I cry")
    text = conversation.texts("actually it's my husband, he cries when I cry")
    assert "your husband" in text and has_word(text, "he"), text
    assert not has_word(text, "she") and not has_word(text, "her"), text
    assert "girlfriend" not in text


def test_a_third_persons_pronoun_is_not_the_partners(conversation: Conversation) -> None:
    text = conversation.texts(
        "my therapist says she thinks my boyfriend cries when I cry because of empathy"
    )
    assert "your boyfriend" in text and has_word(text, "he"), text
    assert not has_word(text, "she"), text


def test_the_partners_pronoun_wins_over_a_third_persons(conversation: Conversation) -> None:
    text = conversation.texts(
        "my sister told me she thinks my partner cries when i cry because he loves me so much"
    )
    assert "your partner" in text and has_word(text, "he"), text
    assert not has_word(text, "she"), text


@pytest.mark.parametrize(
    "message",
    [
        "we broke up last week and there were so many tears, why would they cry?",
        "my partner cried when they broke up with me",
    ],
)
def test_breakup_without_a_partner_word_says_no_guy(
    conversation: Conversation, message: str
) -> None:
    text = conversation.texts(message)
    assert "your partner" in text, text
    assert not has_word(text, "guy") and "bad guy" not in text.lower(), text
