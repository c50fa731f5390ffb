"""Telegram webhook mode end to end: a real `rasa run` talking to a fake Bot API.

The fake registers the webhook the channel sets at start-up and delivers updates to
it with the secret header, as Telegram does; the replies are read from the calls it
recorded. Replies are compared with what the REST channel of the same server answers.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.testing.rest import say as rest_say
from bot.testing.server import RasaServer, free_port, rasa_server
from tests.support.fake_telegram import (
    BOT_USERNAME,
    TOKEN,
    FakeTelegram,
    callback_update,
    fake_telegram,
    text_update,
    user,
)

pytestmark = pytest.mark.slow

SECRET = "test-secret_0123456789"


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Iterator[FakeTelegram]:
    with fake_telegram() as fake:
        yield fake
        # what the bot said to "Telegram", kept for reading after the run
        calls = tmp_path_factory.getbasetemp() / "telegram-webhook-calls.txt"
        calls.write_text("\n".join(map(repr, fake.calls)) + "\n")


@pytest.fixture(scope="module")
def server(trained_model: Path, fake: FakeTelegram, tmp_path_factory) -> Iterator[RasaServer]:
    tmp = tmp_path_factory.mktemp("telegram-webhook")
    port = free_port()
    credentials = tmp / "credentials.yml"
    credentials.write_text(
        "bot.channels.rest.CheckedRestInput:\n"
        "bot.channels.telegram.TelegramInput:\n"
        f"  access_token: '{TOKEN}'\n"
        f"  verify: '{BOT_USERNAME}'\n"
        f"  webhook_url: 'http://127.0.0.1:{port}/webhooks/telegram/webhook'\n"
        f"  secret_token: '{SECRET}'\n"
        f"  api_url: '{fake.url}'\n"
    )
    with rasa_server(
        trained_model, tmp, credentials=credentials, port=port, extra_args=("--enable-api",)
    ) as server:
        yield server


def post(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, object]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def rest_replies(server: RasaServer, sender: str, text: str) -> list[dict]:
    return rest_say(server.url, sender, text)


def user_intents(server: RasaServer, chat: str) -> list[str]:
    """The intents of a Telegram conversation (``telegram:<chat>``), from Rasa's API."""
    sender_id = f"telegram:{chat}"
    with urllib.request.urlopen(f"{server.url}/conversations/{sender_id}/tracker") as answer:
        tracker = json.loads(answer.read())
    return [e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"]


def as_telegram(rest: list[dict]) -> list[tuple[str, list]]:
    """What the REST replies look like as Telegram messages: text and keyboard rows."""
    return [
        (
            r["text"],
            [[{"text": b["title"], "callback_data": b["payload"]}] for b in r.get("buttons", [])],
        )
        for r in rest
    ]


def received(fake: FakeTelegram, chat_id: int) -> list[tuple[str, list]]:
    return [
        (c.params["text"], (c.params.get("reply_markup") or {}).get("inline_keyboard", []))
        for c in fake.replies(chat_id)
    ]


def test_start_checks_the_token_once_and_sets_the_webhook_with_its_secret(server, fake):
    assert [c.method for c in fake.calls[:2]] == ["getMe", "setWebhook"]
    hook = fake.calls_of("setWebhook")[0].params
    assert hook["url"] == f"{server.url}/webhooks/telegram/webhook"
    assert hook["secret_token"] == SECRET
    assert hook["allowed_updates"] == ["message", "callback_query"]


def test_reply_text_and_inline_keyboard_match_the_rest_channel(server, fake):
    chat = 1001
    assert fake.deliver(text_update(chat, "/help")) == 200
    expected = as_telegram(rest_replies(server, "rest-help", "/help"))
    assert any(keyboard for _, keyboard in expected), "the help response should have buttons"
    assert received(fake, chat) == expected


def test_button_press_is_answered_and_its_payload_reaches_the_bot(server, fake):
    chat = 1002
    press = callback_update(chat, "/partner_cries_with_me")
    assert fake.deliver(press) == 200
    replies = fake.replies(chat)
    answered = fake.calls_of("answerCallbackQuery")
    assert [c.params["callback_query_id"] for c in answered] == [press["callback_query"]["id"]]
    assert replies, "the button press got no reply"
    # the spinner stops before the bot starts answering
    assert answered[0].at <= replies[0].at
    assert user_intents(server, str(chat)) == ["partner_cries_with_me"]
    rest = rest_replies(server, "rest-button", "/partner_cries_with_me")
    assert len(replies) == len(rest)


def test_group_chat_keeps_one_conversation_per_user(server, fake):
    group = -100777
    alice, bob = user(name="Alice"), user(name="Bob")
    assert fake.deliver(text_update(group, "/help", alice)) == 200
    assert fake.deliver(text_update(group, "/partner_cried_at_breakup", bob)) == 200
    assert user_intents(server, f"{group}:{alice['id']}") == ["help"]
    assert user_intents(server, f"{group}:{bob['id']}") == ["partner_cried_at_breakup"]
    assert user_intents(server, str(group)) == []
    fake.wait_for(lambda: len(fake.sent_to(group)) >= 2)  # both answered in the group itself


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"X-Telegram-Bot-Api-Secret-Token": ""}],
    ids=["missing", "wrong", "empty"],
)
def test_wrong_or_missing_secret_is_refused(server, fake, headers):
    chat = 1003
    status, _ = post(f"{server.url}/webhooks/telegram/webhook", text_update(chat, "/help"), headers)
    assert status == 403
    assert fake.sent_to(chat) == []
    assert user_intents(server, str(chat)) == []


NOT_MESSAGES = {
    "my_chat_member": {
        "my_chat_member": {
            "chat": {"id": 1004, "type": "private"},
            "from": {"id": 1004, "is_bot": False, "first_name": "A"},
            "date": 0,
            "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True}},
            "new_chat_member": {"status": "kicked", "user": {"id": 1, "is_bot": True}},
        }
    },
    "channel_post": {
        "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -1001004, "type": "channel"}}
    },
    "edited_message": {"edited_message": text_update(1004, "/help")["message"]},
    "sticker": {
        "message": {
            "message_id": 2,
            "date": 0,
            "chat": {"id": 1004, "type": "private"},
            "from": {"id": 1004, "is_bot": False, "first_name": "A"},
            "sticker": {"file_id": "x", "width": 512, "height": 512},
        }
    },
    "empty": {},
    "not_an_object": [1, 2, 3],
}


@pytest.mark.parametrize("update", NOT_MESSAGES.values(), ids=NOT_MESSAGES.keys())
def test_updates_without_a_message_get_200_and_no_reply(server, fake, update):
    before = len(fake.calls)
    status, _ = post(
        f"{server.url}/webhooks/telegram/webhook",
        {"update_id": 1, **update} if isinstance(update, dict) else update,
        {"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert status == 200
    assert fake.calls[before:] == []
    assert user_intents(server, "1004") == []


def test_body_that_is_not_json_gets_400(server, fake):
    status, _ = post(
        f"{server.url}/webhooks/telegram/webhook",
        b"{not json",
        {"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert status == 400


def test_no_getme_per_update(server, fake):
    fake.deliver(text_update(1005, "/help"))
    assert len(fake.calls_of("getMe")) == 1
    assert "could not be handled" not in server.log_text()


def test_the_test_server_keeps_its_conversations_out_of_the_project(server, fake):
    # a rerun would otherwise find the previous run's turns of the same chat ids
    assert (server.log.parent / "tracker.db").is_file()


# --- delivery exactly once: retries, no waiting webhook, no duplicates ---


def tracker_events(server: RasaServer, chat: int) -> list[dict]:
    with urllib.request.urlopen(f"{server.url}/conversations/telegram:{chat}/tracker") as answer:
        return json.loads(answer.read())["events"]


def test_reply_survives_429_500_and_a_slow_api_and_the_webhook_does_not_wait(server, fake):
    chat = 1101
    # the first try is told to wait 1 s, the second fails, the third takes 4 s
    fake.fail_next(chat, {"status": 429, "retry_after": 1}, {"status": 500}, {"delay": 4})
    started = time.monotonic()
    assert fake.deliver(text_update(chat, "/help")) == 200
    answered_in = time.monotonic() - started
    assert answered_in < 3, f"the webhook held Telegram for {answered_in:.1f}s"
    assert user_intents(server, str(chat)) == ["help"], "the turn was not stored"
    delivered = fake.wait_for(lambda: fake.delivered_to(chat), 60)
    time.sleep(2)  # no late second copy
    assert len(fake.delivered_to(chat)) == len(delivered) == 1
    tries = fake.sent_to(chat)
    assert len(tries) == 3
    assert tries[1].at - tries[0].at >= 0.9, "the 429's retry_after was not waited for"
    assert "could not be handled" not in server.log_text()


def test_a_reply_that_cannot_be_delivered_is_logged_without_text_and_recorded(server, fake):
    chat = 1102
    blocked = {"status": 403, "description": "Forbidden: bot was blocked by the user"}
    fake.fail_next(chat, blocked)
    assert fake.deliver(text_update(chat, "are you a bot?")) == 200

    def recorded() -> list[dict]:
        return [e for e in tracker_events(server, chat) if e["event"] == "agent"]

    [event] = fake.wait_for(recorded, 30)
    assert event["data"]["undelivered"] == 1
    log = server.log_text()
    assert "not delivered: Unauthorized" in log or "not delivered: BotBlocked" in log
    assert "I'm a bot" not in log and "are you a bot" not in log


def test_the_same_update_twice_is_answered_once(server, fake):
    chat = 1103
    update = {"update_id": 9_100_001, **text_update(chat, "/help")}
    assert fake.deliver(update) == 200
    fake.wait_for(lambda: fake.delivered_to(chat), 30)
    assert fake.deliver(json.loads(json.dumps(update))) == 200
    press = {"update_id": 9_100_002, **callback_update(chat, "/partner_cries_with_me")}
    assert fake.deliver(press) == 200
    assert fake.deliver(json.loads(json.dumps(press))) == 200
    time.sleep(2)
    assert user_intents(server, str(chat)) == ["help", "partner_cries_with_me"]
    answered = [c for c in fake.calls_of("answerCallbackQuery")]
    assert [c.params["callback_query_id"] for c in answered].count(
        press["callback_query"]["id"]
    ) == 1
    rest = rest_replies(server, "rest-twice", "/partner_cries_with_me")
    assert len(fake.delivered_to(chat)) == 1 + len(rest)


def test_rest_cannot_continue_or_erase_a_telegram_conversation(server, fake):
    chat = 995001
    assert fake.deliver(text_update(chat, "my wife cries when I cry")) == 200
    fake.wait_for(lambda: fake.delivered_to(chat), 30)
    for sender in (str(chat), f"telegram:{chat}"):
        replies = rest_replies(server, sender, "what should i do")
        reply = "\n".join(r.get("text", "") for r in replies)
        assert "wife" not in reply and "cries with you" not in reply, reply
        rest_replies(server, sender, "/forget")
    assert user_intents(server, str(chat)) == ["partner_cries_with_me"]
