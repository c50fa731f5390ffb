"""Two Rasa servers sharing PostgreSQL and Redis (endpoints.scale.yml).

scripts/install-services.sh (a prerequisite of `make test`) installs Debian's
postgresql and redis-server; scripts/services.sh starts private instances on loopback
in a temporary folder. Figures are printed with ``pytest -s``.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.channels.identity import conversation_key
from bot.paths import ROOT
from bot.testing.rest import WEBHOOK, auth_headers, reply_text, say
from bot.testing.server import RasaServer, free_port, rasa_server
from tests.production.conftest import write_credentials

pytestmark = pytest.mark.slow

SERVICES = ROOT / "scripts/services.sh"


@dataclass
class Services:
    env: dict[str, str]
    db_url: str


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    # not under pytest's tmp dir: PostgreSQL runs as the `postgres` user, who must
    # be able to reach its data folder
    directory = Path(tempfile.mkdtemp(prefix="bot-services-"))
    pg_port, redis_port = free_port(), free_port()
    env = {
        "BOT_POSTGRES_HOST": "127.0.0.1",
        "BOT_POSTGRES_PORT": str(pg_port),
        "BOT_POSTGRES_DB": "rasa",
        "BOT_POSTGRES_USER": "rasa",
        "BOT_POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "BOT_REDIS_HOST": "127.0.0.1",
        "BOT_REDIS_PORT": str(redis_port),
        "BOT_REDIS_PASSWORD": secrets.token_urlsafe(16),
    }
    start_env = {
        **os.environ,
        "POSTGRES_PASSWORD": env["BOT_POSTGRES_PASSWORD"],
        "REDIS_PASSWORD": env["BOT_REDIS_PASSWORD"],
    }
    cmd = [str(SERVICES), "start", str(directory), str(pg_port), str(redis_port)]
    subprocess.run(cmd, env=start_env, check=True, timeout=120)
    url = f"postgresql://rasa:{env['BOT_POSTGRES_PASSWORD']}@127.0.0.1:{pg_port}/rasa"
    try:
        yield Services(env, url)
    finally:
        subprocess.run([str(SERVICES), "stop", str(directory)], timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def servers(
    trained_model: Path, services: Services, tmp_path_factory
) -> Iterator[list[RasaServer]]:
    """Two `rasa run` on two ports with endpoints.scale.yml, started side by side."""
    directory = tmp_path_factory.mktemp("scale")
    credentials = write_credentials(directory / "credentials.yml")
    endpoints = Path(os.environ.get("BOT_SCALE_ENDPOINTS", ROOT / "endpoints.scale.yml"))
    with ExitStack() as stack:
        contexts = [
            rasa_server(
                trained_model,
                directory,
                endpoints=endpoints,
                credentials=credentials,
                env=services.env,
            )
            for _ in range(2)
        ]
        # start both at once, then own both contexts
        with ThreadPoolExecutor(2) as pool:
            started = list(pool.map(lambda c: c.__enter__(), contexts))
        for context in contexts:
            stack.push(context.__exit__)
        yield started


@pytest.fixture(scope="module")
def db(services: Services) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(services.db_url)
    yield engine
    engine.dispose()


def stored_events(engine: sa.engine.Engine, sender: str) -> list[dict]:
    """The stored events of REST sender ``sender`` (kept as ``rest:<sender>``)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": conversation_key("rest", sender)},
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def turns(events: list[dict]) -> list[tuple[dict, list[str]]]:
    """Split stored events into turns: (user event, bot texts), checking each is whole.

    A whole turn is one user message, then the bot's actions and utterances, ending
    with `action_listen` before the next user message: interleaved processing of two
    messages would break this.
    """
    result: list[tuple[dict, list[str]]] = []
    open_turn = False
    for event in events:
        if event["event"] == "user":
            assert not open_turn, f"a message arrived inside the turn of {result[-1][0]['text']!r}"
            result.append((event, []))
            open_turn = True
        elif open_turn and event["event"] == "bot":
            # the REST channel sends each blank-line-separated part as a reply of its own
            result[-1][1].extend((event.get("text") or "").strip().split("\n\n"))
        elif open_turn and event["event"] == "action" and event["name"] == "action_listen":
            assert result[-1][1], "a turn ended without a bot reply"
            open_turn = False
    assert not open_turn, "the last turn never ended"
    return result


def test_one_conversation_alternating_between_servers_stays_coherent(servers, db):
    a, b = (s.url for s in servers)
    sender = f"alternating-{uuid.uuid4().hex}"
    say(a, sender, "hi")
    assert "wife" in reply_text(say(b, sender, "my wife cries when I cry"))
    answer = reply_text(say(a, sender, "what can I do?"))
    assert "wife" in answer and "cries with you" in answer, answer
    assert [t[0]["text"] for t in turns(stored_events(db, sender))] == [
        "hi",
        "my wife cries when I cry",
        "what can I do?",
    ]
    # /forget on one server erases what both stored
    assert "erased" in reply_text(say(b, sender, "/forget"))
    assert stored_events(db, sender) == []


SCRIPT = [
    "hi",
    "my boyfriend cries when I cry",
    "tell me more about empathy",
    "what can I do?",
    "thanks",
    "are you a bot?",
    "he cried when we broke up",
    "I ended it",
    "what should I do now?",
    "is he faking his tears to manipulate me?",
]


async def converse(url_of, senders: list[str], turns_each: int) -> dict[str, list[tuple]]:
    """Each sender talks `turns_each` turns, one after another, all senders at once."""
    sent: dict[str, list[tuple]] = {s: [] for s in senders}
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def talk(index: int, sender: str) -> None:
            for turn in range(turns_each):
                text = SCRIPT[turn % len(SCRIPT)]
                body = {"sender": sender, "message": text, "metadata": {"turn": turn}}
                async with http.post(
                    url_of(index, turn) + WEBHOOK, json=body, headers=auth_headers()
                ) as r:
                    replies = await r.json()
                    sent[sender].append((turn, text, r.status, [m.get("text") for m in replies]))

        await asyncio.gather(*(talk(i, s) for i, s in enumerate(senders)))
    return sent


def test_50_conversations_of_20_turns_over_both_servers(servers, db):
    urls = [s.url for s in servers]
    run = uuid.uuid4().hex[:8]
    senders = [f"load-{run}-{i}" for i in range(50)]
    sent = asyncio.run(converse(lambda i, t: urls[(i + t) % 2], senders, 20))

    user_sent = bot_received = user_stored = bot_stored = 0
    for sender, exchanges in sent.items():
        assert all(status == 200 for _, _, status, _ in exchanges), sender
        stored = turns(stored_events(db, sender))
        user_sent += len(exchanges)
        bot_received += sum(len(replies) for *_, replies in exchanges)
        user_stored += len(stored)
        bot_stored += sum(len(texts) for _, texts in stored)
        # exactly once and in order: the stored turns are the sent ones, one for one
        assert [(e["metadata"]["turn"], e["text"]) for e, _ in stored] == [
            (turn, text) for turn, text, _, _ in exchanges
        ], sender
        assert [texts for _, texts in stored] == [replies for *_, replies in exchanges], sender
    sys.stderr.write(
        f"\nload: user messages sent {user_sent}, stored {user_stored}; "
        f"bot replies received {bot_received}, stored {bot_stored}\n"
    )
    for server in servers:
        assert server.proc.poll() is None
        # two replicas starting at once both try to create the database (`login_db`)
        # and its tables; the loser logs that as an error and carries on: the only
        # errors tolerated
        benign = ("Could not create database", "Could not create tables")
        errors = [
            line
            for line in server.log_text().splitlines()
            if " ERROR " in line and not any(b in line for b in benign)
        ]
        assert not errors, errors[:5]


def test_simultaneous_messages_of_one_conversation_on_both_servers(servers, db):
    """The lock store race: both servers get messages of one conversation at once."""
    urls = [s.url for s in servers]
    run = uuid.uuid4().hex[:8]
    senders = [f"burst-{run}-{i}" for i in range(10)]

    async def burst() -> dict[str, list]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:

            async def one(sender: str, n: int):
                body = {"sender": sender, "message": SCRIPT[n], "metadata": {"turn": n}}
                async with http.post(urls[n % 2] + WEBHOOK, json=body, headers=auth_headers()) as r:
                    return sender, n, r.status

            results = await asyncio.gather(*(one(s, n) for s in senders for n in range(6)))
        return results

    results = asyncio.run(burst())
    assert all(status == 200 for *_, status in results)
    lost = 0
    for sender in senders:
        stored = turns(stored_events(db, sender))
        numbers = sorted(e["metadata"]["turn"] for e, _ in stored)
        lost += 6 - len(numbers)
        assert numbers == list(range(6)), (sender, numbers)
    sys.stderr.write(f"\nburst: {len(results)} messages sent, {len(results) - lost} stored\n")


def test_rasa_redis_lock_store_race_and_the_project_fix(services: Services):
    """Two servers taking one conversation's lock at the same moment (PR 11256)."""
    from rasa.core.lock_store import RedisLockStore

    from bot.stores.lock_store import AtomicRedisLockStore

    options = {
        "host": "127.0.0.1",
        "port": int(services.env["BOT_REDIS_PORT"]),
        "password": services.env["BOT_REDIS_PASSWORD"],
    }
    conversation = f"race-{uuid.uuid4().hex}"

    # Rasa's store: both read "no lock" before either writes; both get ticket 0
    first, second = RedisLockStore(**options), RedisLockStore(**options)
    lock_a, lock_b = first.get_or_create_lock(conversation), second.get_or_create_lock(conversation)
    ticket_a, ticket_b = lock_a.issue_ticket(60), lock_b.issue_ticket(60)
    first.save_lock(lock_a)
    second.save_lock(lock_b)
    current = first.get_lock(conversation)
    both_admitted = not current.is_locked(ticket_a) and not current.is_locked(ticket_b)
    assert both_admitted, "Rasa's RedisLockStore no longer races: the project store may go"
    first.delete_lock(conversation)

    # the project's store: one SET NX wins, the other waits; a stale token frees nothing
    one, two = AtomicRedisLockStore(**options), AtomicRedisLockStore(**options)
    token_one, token_two = one.new_token(conversation), two.new_token(conversation)
    assert int(token_two.split(":")[0]) > int(token_one.split(":")[0])  # fencing order
    assert one.try_acquire(conversation, token_one, 60)
    assert not two.try_acquire(conversation, token_two, 60)
    assert not two.release(conversation, token_two)
    assert not two.try_acquire(conversation, token_two, 60)
    assert one.release(conversation, token_one)
    assert two.try_acquire(conversation, token_two, 60)
    assert two.release(conversation, token_two)

    # and as Rasa uses it: concurrent holders of one conversation never overlap
    async def hold(store: AtomicRedisLockStore, log: list[str]) -> None:
        async with store.lock(conversation, lock_lifetime=30):
            log.append("in")
            await asyncio.sleep(0.01)
            log.append("out")

    async def contend() -> list[str]:
        log: list[str] = []
        await asyncio.gather(*(hold(store, log) for store in [one, two] * 10))
        return log

    assert asyncio.run(contend()) == ["in", "out"] * 20
