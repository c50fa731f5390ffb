"""Bad input never breaks the bot: property tests, and a fuzz run on the running server.

Per channel, every input is counted (``TRIED``) and the totals are printed at the end
(``pytest -s``): a strange message must get a polite reply, a malformed request a 4xx,
never a 5xx, and the server must answer normally afterwards.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter

import aiohttp
import pytest
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.nlu.training_data.message import Message

from bot.channels.identity import MAX_IDENTITY_LENGTH
from bot.channels.rest import MAX_SENDER_LENGTH, BadRequest, IncomingMessage, parse_body
from bot.channels.telegram import IncomingText, _parse_update
from bot.nlu.message_limit import ORIGINAL_LENGTH, LongMessageIntent, MessageLengthLimit
from bot.testing.rest import WEBHOOK, auth_headers, reply_text, request, say
from tests.production.conftest import SQLiteBot
from tests.production.inputs import (
    MALFORMED_BODIES,
    STRANGE_MESSAGES,
    json_values,
    message_texts,
    random_update,
    request_bodies,
)
from tests.support.fake_telegram import text_update, user

TRIED: Counter[str] = Counter()
LIVE = settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


# --- properties of the pieces, in process ---


@settings(max_examples=500, deadline=None)
@given(body=request_bodies)
def test_parse_body_accepts_or_refuses_but_never_crashes(body: bytes):
    try:
        incoming = parse_body(body)
    except BadRequest:
        return
    assert isinstance(incoming, IncomingMessage)
    assert isinstance(incoming.text, str) and incoming.sender.strip()
    assert len(incoming.sender) <= MAX_SENDER_LENGTH


@settings(max_examples=200, deadline=None)
@given(sender=st.text(min_size=1, max_size=MAX_SENDER_LENGTH), text=st.text(), meta=json_values)
def test_parse_body_keeps_a_well_formed_message(sender: str, text: str, meta):
    body = json.dumps({"sender": sender, "message": text, "metadata": meta}).encode()
    valid_sender = sender.strip() and not any(ord(c) < 32 or ord(c) == 127 for c in sender)
    if valid_sender and (meta is None or isinstance(meta, dict)):
        assert parse_body(body) == IncomingMessage(sender, text, meta)
    else:
        with pytest.raises(BadRequest):
            parse_body(body)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), limit=st.integers(min_value=1, max_value=200))
def test_length_limit_cuts_and_marks_exactly_the_long_messages(text: str, limit: int):
    message = Message.build(text=text)
    MessageLengthLimit({"max_characters": limit}).process([message])
    LongMessageIntent({}).process([message])
    assert message.get("text") == text[:limit]
    too_long = len(text) > limit
    assert (
        (message.get(ORIGINAL_LENGTH) == len(text))
        if too_long
        else not message.get(ORIGINAL_LENGTH)
    )
    assert (message.get("intent", {}).get("name") == "message_too_long") is too_long


def test_parse_update_takes_any_shape_without_an_exception():
    """The parser itself, without the safety net of parse_update: no shape raises."""
    rng = random.Random(1515)
    answered = 0
    for _ in range(5000):
        try:
            update = json.loads(random_update(rng))
        except (ValueError, RecursionError):
            continue  # the webhook answers 400 before parsing
        incoming = _parse_update(update, "bot")
        if incoming is not None:
            answered += 1
            assert isinstance(incoming, IncomingText) and isinstance(incoming.text, str)
            assert len(incoming.sender_id) <= len("telegram:") + 2 * 21 + 1
            assert len(incoming.sender_id) <= MAX_IDENTITY_LENGTH
    assert answered > 100  # the generator does make answerable updates


# --- the running server, through REST ---


def post(url: str, body: bytes) -> tuple[int, object]:
    TRIED["rest"] += 1
    return request(url + WEBHOOK, body, {"Content-Type": "application/json"})


def assert_polite_reply(status: int, replies: object, what: str) -> None:
    assert status == 200, (what, status, replies)
    assert isinstance(replies, list) and replies, (what, replies)
    assert all(isinstance(r, dict) and r.get("text", "").strip() for r in replies), (what, replies)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STRANGE_MESSAGES))
def test_rest_strange_message_gets_a_polite_reply(sqlite_bot: SQLiteBot, name: str):
    body = json.dumps({"sender": f"fuzz-{uuid.uuid4().hex}", "message": STRANGE_MESSAGES[name]})
    assert_polite_reply(*post(sqlite_bot.running().url, body.encode()), name)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MALFORMED_BODIES))
def test_rest_malformed_request_gets_4xx(sqlite_bot: SQLiteBot, name: str):
    status, answer = post(sqlite_bot.running().url, MALFORMED_BODIES[name])
    assert status in (400, 413), (name, status, answer)
    assert isinstance(answer, dict) and answer.get("error"), (name, answer)


@pytest.mark.slow
def test_rest_too_long_message_is_refused_politely(sqlite_bot: SQLiteBot):
    status, replies = post(
        sqlite_bot.running().url,
        json.dumps({"sender": f"long-{uuid.uuid4().hex}", "message": "why " * 25_000}).encode(),
    )
    assert status == 200 and "too long" in reply_text(replies)


@pytest.mark.slow
@LIVE
@given(text=message_texts)
def test_rest_any_text_gets_a_polite_reply(sqlite_bot: SQLiteBot, text: str):
    body = json.dumps({"sender": f"prop-{uuid.uuid4().hex}", "message": text}).encode()
    assert_polite_reply(*post(sqlite_bot.running().url, body), repr(text[:80]))


@pytest.mark.slow
@LIVE
@given(body=request_bodies)
def test_rest_any_body_gets_a_reply_or_a_4xx(sqlite_bot: SQLiteBot, body: bytes):
    status, answer = post(sqlite_bot.running().url, body)
    assert status in (200, 400, 413), (body[:100], status, answer)
    if status == 200:
        assert_polite_reply(status, answer, repr(body[:80]))


@pytest.mark.slow
def test_rest_very_many_senders(sqlite_bot: SQLiteBot):
    url = sqlite_bot.running().url + WEBHOOK
    senders = [f"crowd-{i}-{uuid.uuid4().hex}" for i in range(200)]

    async def run() -> list[tuple[int, object]]:
        limit = asyncio.Semaphore(16)
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=120), headers=auth_headers()
        ) as http:

            async def one(sender: str) -> tuple[int, object]:
                async with limit, http.post(url, json={"sender": sender, "message": "hi"}) as r:
                    return r.status, await r.json()

            return await asyncio.gather(*(one(s) for s in senders))

    results = asyncio.run(run())
    TRIED["rest"] += len(results)
    for status, replies in results:
        assert_polite_reply(status, replies, "crowd")
    assert sqlite_bot.server.proc.poll() is None


# --- the running server, through socket.io ---


def well_formed(payload: object) -> bool:
    """A socket.io message the channel must answer: a string message, object metadata."""
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("message"), str)
        and isinstance(payload.get("metadata", {}), dict)
    )


async def socketio_fuzz(url: str, payloads: list[object]) -> tuple[int, int, list[str]]:
    """Emit each payload on one connection: a well-formed one must be answered, and
    after a malformed one a normal message must still be.

    Returns (strange messages answered, malformed payloads survived, failures).
    """
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", lambda data: replies.put_nowait(data))
    # polling: python-engineio's asyncio websocket client needs aiohttp >= 3.10
    await client.connect(url, transports=["polling"], wait_timeout=30)
    answered = survived = 0
    failures: list[str] = []

    async def drain(timeout: float) -> list:
        got = []
        try:
            got.append(await asyncio.wait_for(replies.get(), timeout))
            while True:
                got.append(await asyncio.wait_for(replies.get(), 0.3))
        except asyncio.TimeoutError:
            return got

    try:
        for payload in payloads:
            TRIED["socket.io"] += 1
            await client.emit("user_uttered", payload)
            if well_formed(payload):
                got = await drain(20)
                if got and all(isinstance(r, dict) and r.get("text") for r in got):
                    answered += 1
                else:
                    failures.append(f"no reply to {payload!r:.80}")
                continue
            await drain(2)  # a reply is welcome, none is tolerated
            # whatever came before, the connection still works
            await client.emit("user_uttered", {"message": "hi", "session_id": None})
            if await drain(20):
                survived += 1
            else:
                failures.append(f"no answer after {payload!r:.80}")
                break
    finally:
        await client.disconnect()
    return answered, survived, failures


@pytest.mark.slow
def test_socketio_fuzz(sqlite_bot: SQLiteBot):
    texts = [*STRANGE_MESSAGES.values(), *[message_texts.example() for _ in range(20)]]
    malformed: list[object] = [
        "a bare string",
        42,
        None,
        [1, 2, 3],
        {},
        {"message": None},
        {"message": 5},
        {"message": ["hi"]},
        {"message": "hi", "metadata": "not json"},
        {"message": "hi", "metadata": [1]},
        b"\xff\xfe\x00binary",
    ]
    payloads = [{"message": t, "session_id": None} for t in texts] + malformed
    url = sqlite_bot.running().url
    answered, survived, failures = asyncio.run(socketio_fuzz(url, payloads))
    assert not failures, failures[:5]
    assert answered == len(texts) and survived == len(malformed)
    assert sqlite_bot.server.proc.poll() is None


# --- the running server, through the Telegram webhook (fake Bot API on loopback) ---


@pytest.mark.slow
def test_telegram_webhook_fuzz_and_no_user_names_in_logs(sqlite_bot: SQLiteBot):
    server, fake = sqlite_bot.running(), sqlite_bot.telegram
    fake.wait_for(lambda: fake.webhook.get("url"))
    name = f"Quokka{uuid.uuid4().hex[:8]}"
    person = {**user(name=name), "username": f"{name}_tg", "last_name": name}
    failures = []
    for index, text in enumerate(STRANGE_MESSAGES.values()):
        chat = 700_000 + index
        TRIED["telegram"] += 1
        status = fake.deliver(text_update(chat, text, {**person, "id": chat}))
        if status >= 500:
            failures.append((text[:40], status))
        elif text.strip():
            try:
                fake.wait_for(lambda c=chat: fake.sent_to(c), 60)
            except TimeoutError:
                failures.append((text[:40], "no reply"))
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": fake.webhook.get("secret_token", ""),
    }
    raw = [
        b"not json",
        b"[]",
        b"null",
        b'{"message": "x"}',
        b'{"message": {"chat": "x", "text": 5}}',
        b'{"update_id": "a", "message": {"chat": {"id": "x"}, "text": ["hi"]}}',
        b'{"message": {"chat": {"id": 1}, "from": {"id": 1}, "text": "\xff\xfe"}}',
        b"\xff\xfe\x00",
    ]
    for body in raw:
        TRIED["telegram"] += 1
        status, answer = request(server.url + "/webhooks/telegram/webhook", body, headers)
        if status >= 500:
            failures.append((body[:40], status, answer))
    TRIED["telegram"] += 1
    unsigned = request(server.url + "/webhooks/telegram/webhook", b"{}", {})[0]
    assert unsigned in (401, 403), unsigned
    assert not failures, failures
    # afterwards a person is answered as usual
    fake.deliver(text_update(800_001, "my wife cries when I cry", {**person, "id": 800_001}))
    assert "wife" in " ".join(c.params["text"] for c in fake.replies(800_001))
    assert name not in server.log_text()


@pytest.mark.slow
def test_telegram_fuzz_of_random_shapes(sqlite_bot: SQLiteBot):
    """2,000 webhook bodies of random shapes with the right secret: none gets a 5xx."""
    server, fake = sqlite_bot.running(), sqlite_bot.telegram
    fake.wait_for(lambda: fake.webhook.get("url"))
    url = server.url + "/webhooks/telegram/webhook"
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": fake.webhook["secret_token"],
    }
    rng = random.Random(2026)
    bodies = [random_update(rng) for _ in range(2000)]
    statuses: Counter[int] = Counter()
    sent_before = len(fake.calls_of("sendMessage"))
    started = time.monotonic()

    async def run() -> None:
        limit = asyncio.Semaphore(8)
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as http:

            async def one(body: bytes) -> None:
                async with limit, http.post(url, data=body) as answer:
                    statuses[answer.status] += 1

            await asyncio.gather(*(one(b) for b in bodies))

    asyncio.run(run())
    took = time.monotonic() - started
    TRIED["telegram"] += len(bodies)
    time.sleep(3)  # the replies go out after the answers
    replies = len(fake.calls_of("sendMessage")) - sent_before
    sys.stderr.write(
        f"\nTelegram fuzz: {len(bodies)} updates in {took:.0f}s, answers {dict(statuses)}, "
        f"{replies} replies sent\n"
    )
    assert replies > 100, "hardly any fuzzed update was a message: the fuzz tests little"
    assert sum(statuses.values()) == len(bodies)
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {200, 400}, statuses
    assert server.proc.poll() is None
    fake.deliver(text_update(800_002, "my wife cries when I cry"))
    assert "wife" in " ".join(c.params["text"] for c in fake.replies(800_002))
    assert "could not be handled" not in server.log_text()


@pytest.mark.slow
def test_server_answers_normally_after_all_that(sqlite_bot: SQLiteBot):
    server = sqlite_bot.running()
    sender = f"after-{uuid.uuid4().hex}"
    assert "wife" in reply_text(say(server.url, sender, "my wife cries when I cry"))
    assert server.proc.poll() is None
    log = server.log_text()
    assert "Encountered an exception while running action" not in log
    assert "Could not handle a REST message" not in log
    sys.stderr.write(f"\ninputs tried per channel: {dict(TRIED)}\n")
