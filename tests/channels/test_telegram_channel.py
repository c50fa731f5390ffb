"""The Telegram channel's parts that need no model: settings, update parsing,
keyboards, the poller's offset file, and a server configured without Telegram."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.channels.telegram import (
    TelegramInput,
    command_to_text,
    inline_keyboard,
    parse_update,
    settings_from,
    split_text,
)
from bot.channels.telegram_polling import OffsetStore, load_channel, main
from bot.paths import ROOT
from tests.support.fake_telegram import (
    TOKEN,
    callback_update,
    fake_telegram,
    text_update,
    user,
)


@pytest.fixture
def no_telegram_env(monkeypatch):
    for name in ("TOKEN", "BOT_NAME", "WEBHOOK_URL", "SECRET_TOKEN", "API_URL"):
        monkeypatch.delenv(f"TELEGRAM_{name}", raising=False)
    return monkeypatch


def test_settings_come_from_the_environment_when_the_file_leaves_them_out(no_telegram_env):
    no_telegram_env.setenv("TELEGRAM_TOKEN", TOKEN)
    no_telegram_env.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")
    settings = settings_from({"verify": "from_file_bot", "api_url": None})
    assert settings["access_token"] == TOKEN
    assert settings["verify"] == "from_file_bot"
    assert settings["api_url"] == "http://127.0.0.1:9"
    assert settings["webhook_url"] == ""


def test_repository_credentials_load_with_telegram_off_when_no_variable_is_set(
    no_telegram_env, caplog
):
    """`rasa run` with credentials.yml must start for a newcomer without a token."""
    from rasa.core.run import configure_app, create_http_input_channels

    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    telegram = [c for c in channels if isinstance(c, TelegramInput)]
    assert len(telegram) == 1 and not telegram[0].enabled
    with caplog.at_level(logging.WARNING):
        app = configure_app(channels)
    assert "Telegram channel off: TELEGRAM_TOKEN is not set" in caplog.text
    assert "project_telegram_webhook" in app.blueprints
    assert load_channel(ROOT / "credentials.yml").disabled_reason == "TELEGRAM_TOKEN is not set"


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"access_token": "not-a-token"}, "does not look like"),
        ({"access_token": TOKEN, "secret_token": "has spaces"}, "SECRET_TOKEN"),
        ({"access_token": TOKEN, "api_url": "ftp://x"}, "API_URL"),
    ],
)
def test_bad_settings_switch_the_channel_off_with_a_reason(settings, reason):
    assert reason in TelegramInput(**settings).disabled_reason


def test_without_a_configured_secret_a_random_one_guards_the_webhook():
    one, two = TelegramInput(access_token=TOKEN), TelegramInput(access_token=TOKEN)
    assert one.enabled and len(one.secret_token) >= 32
    assert one.secret_token != two.secret_token


def test_private_group_and_button_updates():
    private = parse_update({"update_id": 1, **text_update(42, "hello")})
    assert (private.sender_id, private.text) == ("telegram:42", "hello")
    alice = user(7)
    group = parse_update(text_update(-100, "hi", alice))
    assert group.sender_id == "telegram:-100:7"
    press = parse_update(callback_update(-100, "/help", alice))
    assert (press.sender_id, press.text) == ("telegram:-100:7", "/help")
    assert press.callback_query_id.startswith("cbq-")


@pytest.mark.parametrize(
    "update",
    [
        None,
        "text",
        [],
        {},
        {"edited_message": text_update(1, "x")["message"]},
        {"message": {"chat": {"id": 1}, "sticker": {}}},
        {"message": {"text": "no chat"}},
        {"callback_query": {"id": "1", "from": {"id": 1}}},  # no data (a game button)
        {"channel_post": {"chat": {"id": -1, "type": "channel"}, "text": "x"}},
    ],
)
def test_updates_the_bot_does_not_answer(update):
    assert parse_update(update) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "/greet"),
        ("/start@my_bot", "/greet"),
        ("/help@My_Bot", "/help"),
        ("/help@other_bot", ""),
        ('/ask_reason_detail{"reason": "love"}', '/ask_reason_detail{"reason": "love"}'),
        ("why does he cry?", "why does he cry?"),
    ],
)
def test_commands(text, expected):
    assert command_to_text(text, "my_bot") == expected


def test_keyboard_one_button_per_row_and_payloads_within_64_bytes():
    buttons = [{"title": "Short", "payload": "/a"}, {"title": "Long", "payload": "/" + "x" * 80}]
    assert inline_keyboard(buttons) == [
        [{"text": "Short", "callback_data": "/a"}],
        [{"text": "Long", "callback_data": "Long"}],
    ]
    assert len(inline_keyboard(buttons, "inline")) == 1


def test_long_text_is_split_under_telegrams_limit():
    parts = split_text(("word " * 300 + "\n\n") * 10)
    assert len(parts) > 1 and all(0 < len(p) <= 4096 for p in parts)


def test_offset_store_round_trip_and_damage(tmp_path, caplog):
    store = OffsetStore(tmp_path / "state" / "offset.json")
    assert store.load() is None
    store.save(41)
    store.save(42)
    assert store.load() == 42
    assert [p.name for p in store.path.parent.iterdir()] == ["offset.json"]  # no temp left
    store.path.write_text("{half")
    assert store.load() is None
    assert "unreadable offset file" in caplog.text


def test_output_goes_to_the_configured_api_and_to_the_group_chat():
    """The output channel, without a Rasa server, against the fake Bot API."""
    with fake_telegram() as fake:
        channel = TelegramInput(access_token=TOKEN, api_url=fake.url)
        out = channel.get_output_channel()
        buttons = [{"title": "Yes", "payload": "/affirm"}]

        async def talk() -> None:
            await out.send_text_with_buttons("-100:7", "Sure?", buttons)
            await out.send_text_message("55", "Hello")
            await channel.close()

        asyncio.run(talk())
        sent = [(c.params["chat_id"], c.params["text"]) for c in fake.calls_of("sendMessage")]
        assert sent == [("-100", "Sure?"), ("55", "Hello")]
        markup = fake.calls_of("sendMessage")[0].params["reply_markup"]
        assert markup == {"inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"}]]}
        assert json.dumps(markup)  # the fake decoded what the channel encoded


def test_poller_without_a_token_says_so_and_exits_2(no_telegram_env, tmp_path, caplog):
    with caplog.at_level(logging.ERROR):
        assert main(["--offset-file", str(tmp_path / "offset.json")]) == 2
    assert "Telegram polling cannot start: TELEGRAM_TOKEN is not set" in caplog.text


def test_delivery_retries_what_can_succeed_and_keeps_the_order_per_chat():
    """In process against the fake: 429 and 5xx are tried again, a refusal is not."""
    with fake_telegram() as fake:
        channel = TelegramInput(access_token=TOKEN, api_url=fake.url)
        channel.delivery.backoff = (0.01,)
        fake.fail_next(1, {"status": 429, "retry_after": 1}, {"status": 502})
        fake.fail_next(2, {"status": 400, "description": "Bad Request: chat not found"})

        async def talk() -> tuple[list[str], list[str]]:
            first = [("sendMessage", {"chat_id": "1", "text": f"part {n}"}) for n in range(3)]
            second = [("sendMessage", {"chat_id": "2", "text": "lost"})]
            results = await asyncio.gather(
                channel.delivery.send("1", first), channel.delivery.send("2", second)
            )
            await channel.close()
            return results

        failed_first, failed_second = asyncio.run(talk())
        assert failed_first == [] and failed_second == ["ChatNotFound"]
        assert [c.params["text"] for c in fake.delivered_to(1)] == ["part 0", "part 1", "part 2"]
        assert len(fake.sent_to(1)) == 5 and len(fake.sent_to(2)) == 1
        assert channel.delivery._chats == {}
