"""Limits at the door: the REST token, body size on every route, what is stored, ids.

Figures are printed with ``pytest -s``.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from bot.channels.limits import DEFAULT_MAX_BODY_BYTES
from bot.nlu.message_limit import DEFAULT_MAX_CHARACTERS
from bot.testing.rest import WEBHOOK, reply_text, request, say
from tests.production.conftest import SQLiteBot
from tests.support.chat_clients import SocketChat
from tests.support.fake_telegram import text_update

pytestmark = pytest.mark.slow

BIG = 50_000_000
ROUTES = [
    "/",
    WEBHOOK,
    "/webhooks/rest/",
    "/webhooks/telegram/webhook",
    "/webhooks/socketio/",
    "/socket.io/?EIO=4&transport=polling",
    "/conversations/x/messages",
    "/model/parse",
    "/no/such/route",
]


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the highest since the start) of a process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def send_big(port: int, path: str, chunked: bool, size: int = BIG) -> tuple[int, int]:
    """POST ``size`` bytes to ``path`` as fast as the server takes them; the status of
    its answer (0: none) and how many bytes it took before answering or closing."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    chunk = b"[" * 1_000_000
    if chunked:
        chunk = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head.encode())
        conn.settimeout(0.05)
        answer = b""
        try:
            while sent < size:
                try:
                    answer += conn.recv(65536)
                    if answer:
                        break
                except TimeoutError:
                    pass
                conn.settimeout(30)
                conn.sendall(chunk)
                conn.settimeout(0.05)
                sent += 1_000_000
        except OSError:  # the server closed: it refused the rest
            pass
        conn.settimeout(10)
        try:
            while b"\r\n" not in answer:
                more = conn.recv(65536)
                if not more:
                    break
                answer += more
        except OSError:
            pass
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def test_rest_needs_the_token(sqlite_bot: SQLiteBot):
    url = sqlite_bot.running().url + WEBHOOK
    body = {"sender": f"token-{uuid.uuid4().hex}", "message": "hi"}
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
        status, answer = request(url, body, headers)
        assert status == 401, (headers, status, answer)
    assert request(url, body)[0] == 200  # bot.testing.rest sends the token


def test_50_mb_bodies_are_refused_on_every_route_and_memory_stays(sqlite_bot: SQLiteBot):
    server = sqlite_bot.running()
    say(server.url, f"warm-{uuid.uuid4().hex}", "hi")
    before = memory_kb(server.proc.pid)
    results = {}
    for path in ROUTES:
        for chunked in (False, True):
            results[(path, chunked)] = send_big(server.port, path, chunked)
    # and 12 at once
    threads = [
        threading.Thread(target=lambda i=i: results.update({(f"parallel-{i}", True): send_big(
            server.port, ROUTES[i % len(ROUTES)], bool(i % 2))}))
        for i in range(12)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    after = memory_kb(server.proc.pid)
    growth = (after["VmHWM"] - before["VmHWM"]) / 1024
    sys.stderr.write(
        f"\n50 MB bodies: {len(results)} sent, RSS {before['VmRSS'] // 1024} -> "
        f"{after['VmRSS'] // 1024} MB, peak {before['VmHWM'] // 1024} -> "
        f"{after['VmHWM'] // 1024} MB; taken per body at most "
        f"{max(sent for _, sent in results.values()) / 1e6:.0f} MB\n"
    )
    for key, (status, sent) in results.items():
        assert status in (0, 400, 401, 403, 404, 405, 413), (key, status)
        assert sent < BIG, f"{key}: the server read the whole 50 MB body"
    assert growth < 50, f"peak memory grew by {growth:.0f} MB"
    reply = say(server.url, f"after-{uuid.uuid4().hex}", "my wife cries when I cry")
    assert "wife" in reply_text(reply)


def test_a_body_just_over_the_limit_gets_413_and_one_under_it_is_read(sqlite_bot: SQLiteBot):
    url = sqlite_bot.running().url + WEBHOOK
    sender = f"size-{uuid.uuid4().hex}"
    over = json.dumps({"sender": sender, "message": "x" * DEFAULT_MAX_BODY_BYTES}).encode()
    assert request(url, over)[0] == 413
    under = json.dumps({"sender": sender, "message": "x" * 900_000}).encode()
    status, replies = request(url, under)
    assert status == 200 and "too long" in reply_text(replies)


def test_what_is_stored_is_what_nlu_read_in_every_channel(sqlite_bot: SQLiteBot):
    server, fake = sqlite_bot.running(), sqlite_bot.telegram
    long_text = "my boyfriend cries when I cry " * 3000  # 90,000 characters
    sender = f"stored-{uuid.uuid4().hex}"
    say(server.url, sender, long_text)
    fake.wait_for(lambda: fake.webhook.get("url"))
    chat = 730_001
    assert fake.deliver(text_update(chat, long_text)) == 200
    fake.replies(chat)
    widget = SocketChat(server.url).connect()
    try:
        widget.start_session()
        widget.say(long_text)
        widget_sid = widget.client.get_sid()
    finally:
        widget.close()
    stored = {
        "rest": sqlite_bot.stored_texts(sender),
        "telegram": sqlite_bot.stored_texts(str(chat), "telegram"),
        "socketio": sqlite_bot.stored_texts(widget_sid, "socketio"),
    }
    for channel, texts in stored.items():
        assert texts and all(len(t) <= DEFAULT_MAX_CHARACTERS for t in texts), (
            channel,
            [len(t) for t in texts],
        )


NOT_IDS = {
    "100k digits": "1" * 100_000,
    "over 64 bits": 10**30,
    "under -64 bits": -(10**30),
    "float": 1.5,
    "bool": True,
    "null": None,
    "list": [1],
    "object": {"id": 1},
    "digits as text": "42",
}


@pytest.mark.parametrize("chat_id", NOT_IDS.values(), ids=NOT_IDS.keys())
def test_telegram_chat_ids_that_are_not_telegram_ids_are_ignored(sqlite_bot: SQLiteBot, chat_id):
    sqlite_bot.running()
    fake = sqlite_bot.telegram
    fake.wait_for(lambda: fake.webhook.get("url"))
    update = text_update(1, "hello")
    update["message"]["chat"]["id"] = chat_id
    update["message"]["from"]["id"] = chat_id
    before = len(fake.calls_of("sendMessage"))
    status = fake.deliver(update)
    assert status in (200, 400)
    time.sleep(0.5)
    assert len(fake.calls_of("sendMessage")) == before
    assert sqlite_bot.events(str(chat_id), "telegram") == []
