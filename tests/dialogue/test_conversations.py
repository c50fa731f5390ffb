"""Real messages sent to the trained bot in process; the replies checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

BUTTON_PAYLOADS = {"/partner_cries_with_me", "/partner_cried_at_breakup", "/suspect_manipulation"}


def payloads(replies: list[dict]) -> set[str]:
    return {b["payload"] for r in replies for b in r.get("buttons") or []}


def test_greeting_offers_the_three_topics(conversation) -> None:
    replies = conversation.say("hi there")
    assert payloads(replies) >= BUTTON_PAYLOADS


def test_crying_with_me_gives_five_reasons_then_tips(conversation) -> None:
    reasons = conversation.texts("my wife always cries when i cry, why?")
    for word in ("Connection", "Empathy", "Love", "sadness or frustration", "Mirror neurons"):
        assert word in reasons
    assert "your wife" in reasons and "she may" in reasons
    assert "boyfriend" not in reasons
    tips = conversation.texts("what should i do?")
    for word in ("Stop crying", "calm", "Hug", "kiss", "hands"):
        assert word in tips
    assert "Hug her" in tips


def test_one_reason_in_detail(conversation) -> None:
    conversation.say("my bf cries whenever i cry")
    detail = conversation.texts("tell me more about mirror neurons")
    assert "brain cells" in detail and "your boyfriend" in detail.lower()


def test_reason_buttons_carry_the_reason(conversation) -> None:
    conversation.say("my partner tears up every time i cry")
    detail = conversation.texts('/ask_reason_detail{"reason": "empathy"}')
    assert detail.startswith("Empathy")


def test_breakup_asks_who_ended_it_and_uses_the_answer(conversation) -> None:
    first = conversation.say("my boyfriend cried when we broke up")
    text = "\n".join(r["text"] for r in first)
    assert "Who ended the relationship" in text
    assert any("failed" in r["text"] or "failure" in r["text"] for r in first)
    answer = conversation.texts("I did")
    assert "reconsider" in answer
    advice = conversation.texts("yes please")
    assert "Trust the decision" in advice


def test_breakup_with_initiator_in_the_same_message(conversation) -> None:
    text = conversation.texts("he cried when he dumped me")
    assert "Who ended" not in text
    assert "the one to blame" in text


def test_manipulation_warning_and_advice(conversation) -> None:
    text = conversation.texts("are his tears fake? i think he's trying to guilt trip me")
    assert "manipulated" in text and "cautious" in text


def test_what_to_do_depends_on_the_conversation(conversation) -> None:
    conversation.say("my ex cried when i ended it")
    advice = conversation.texts("what should i do now")
    assert "Assess how you genuinely feel" in advice
    assert "hug" not in advice


def test_advice_question_that_names_the_situation_gets_its_tips(conversation) -> None:
    # an advice question (the classifier's call) whose situation a topic rule reads
    tips = conversation.texts("whats the best way to handle it when my bf cries every time i cry")
    for word in ("Stop crying", "Hug"):
        assert word in tips


def test_what_to_do_without_context_asks_which_situation(conversation) -> None:
    assert payloads(conversation.say("what should i do")) >= BUTTON_PAYLOADS


@pytest.mark.parametrize(
    "message",
    [
        "he said he will kill himself if i leave him",
        "I don't want to live anymore",
        "my husband hit me last night and I'm scared",
    ],
)
def test_crisis_gets_the_safety_message_first(conversation, message: str) -> None:
    conversation.say("my gf cried when we broke up")
    replies = conversation.say(message)
    # the first bubble names the emergency number; the answer, in bubbles of a few
    # sentences, says it is a bot and no substitute for help
    assert "emergency" in replies[0]["text"]
    turn = " ".join(r.get("text", "") for r in replies)
    assert "not a substitute for professional help" in turn


def test_out_of_scope_and_gibberish_get_buttons(conversation) -> None:
    assert payloads(conversation.say("what's the capital of france")) >= BUTTON_PAYLOADS
    assert payloads(conversation.say("asdkjh qwe zzxq")) >= BUTTON_PAYLOADS


def test_bot_challenge_is_honest(conversation) -> None:
    assert "I'm a bot" in conversation.texts("are you a real person?")


def test_partner_word_sticks_across_turns(conversation) -> None:
    conversation.say("my hubby cried when i broke up with him")
    assert "your husband" in conversation.texts("is he trying to manipulate me?")


def test_a_stated_pronoun_beats_the_partner_word(conversation) -> None:
    reasons = conversation.texts("my boyfriend uses they/them and cries every time i cry")
    assert "your boyfriend" in reasons and "they may feel" in reasons
    assert " he " not in reasons and " him" not in reasons
    tips = conversation.texts("what should i do?")
    assert "Hug them" in tips


def test_a_new_partner_word_does_not_keep_the_old_pronoun(conversation) -> None:
    conversation.say("my partner, she cries every time i cry")
    assert "Hug her" in conversation.texts("what should i do?")
    reasons = conversation.texts("my boyfriend cries when i cry too")
    assert "your boyfriend" in reasons and "he may" in reasons and "she" not in reasons


def test_other_peoples_pronouns_are_not_the_partners(conversation) -> None:
    reasons = conversation.texts("my therapist says she thinks my partner cries when i cry")
    assert "your partner" in reasons and "they may" in reasons and "she" not in reasons


def test_ex_and_colloquial_words_are_said_back(conversation) -> None:
    assert "your ex-wife" in conversation.texts("my ex-wife cried when we broke up")
    assert "your girl" in conversation.texts("my girl cries every time i cry")


ADVICE = {
    "manipulation": "utter_manipulation_advice",
    "breakup": "utter_breakup_advice",
    "crying_with_me": "utter_tips_crying_with_me",
}
ADVICE_CONVERSATIONS = yaml.safe_load(
    (Path(__file__).parent / "advice_conversations.yml").read_text()
)
# Just under what the bot reaches today (24 of 27: two manipulation stories that also
# tell a breakup get the breakup advice, one story gets no advice); the goal is all.
MIN_ADVICE_SHARE = 0.85


def test_advice_asked_after_a_story_is_that_topics_advice(agent, event_loop_session) -> None:
    from tests.conftest import Conversation

    wrong, missed = [], []
    for topic, conversations in ADVICE_CONVERSATIONS.items():
        for messages in conversations:
            conversation = Conversation(agent, event_loop_session)
            for message in messages:
                conversation.say(message)
            given = {a for a in conversation.last_turn_actions() if a in ADVICE.values()}
            if given - {ADVICE[topic]}:
                wrong.append((topic, messages[-1], given))
            elif not given:
                missed.append((topic, messages[-1], conversation.last_turn_actions()))
    total = sum(len(c) for c in ADVICE_CONVERSATIONS.values())
    share = 1 - (len(wrong) + len(missed)) / total
    print(f"topic's advice given in {share:.0%} of {total}; another topic's: {len(wrong)}")
    assert share >= MIN_ADVICE_SHARE, f"another topic's advice: {wrong}; none: {missed}"
