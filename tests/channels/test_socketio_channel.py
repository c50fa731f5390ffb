"""The project's socket.io channel: persisted sessions get their replies, CORS, bad input.

Rasa 3.6 never awaits python-socketio's ``enter_room``, a coroutine since 5.10: a
persisted session's socket never joins its room and every reply is lost. The unit
tests run the channel against a 5.10-style server; the end-to-end tests against the
installed python-socketio through a real `rasa run`.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
import yaml
from rasa.core.channels import socketio as rasa_socketio

from bot.channels import socketio as channel_module
from bot.channels.socketio import (
    BAD_MESSAGE,
    DEFAULT_ORIGINS,
    NO_SESSION,
    SocketIOInput,
    allowed_origins,
    enter_room,
)
from bot.paths import ROOT
from bot.testing.rest import say as rest_say
from bot.testing.server import RasaServer, rasa_server
from tests.support.chat_clients import SocketChat

ALLOWED_ORIGIN = "http://allowed.test:8123"


def response_texts(name: str) -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return [variant["text"] for variant in domain["responses"][name]]


class FakeServer:
    """What the channel uses of a python-socketio 5.10+ AsyncServer: ``enter_room``
    is a coroutine, so only an awaiting caller really joins the room."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.handlers: dict[str, Any] = {}
        self.rooms: set[tuple[str, str]] = set()
        self.emitted: list[tuple[str, Any, str | None]] = []

    def on(self, event: str, namespace: str | None = None):
        def register(handler):
            self.handlers[event] = handler
            return handler

        return register

    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        await asyncio.sleep(0)
        self.rooms.add((sid, room))

    async def emit(self, event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        self.emitted.append((event, data, room))

    def attach(self, *args: Any, **kwargs: Any) -> None:
        pass


class FakeServerChannel(SocketIOInput):
    def make_server(self) -> FakeServer:
        return FakeServer()


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


def session_then_message(channel: Any, sio_of: Any) -> tuple[FakeServer, list]:
    """session_request then a message; returns the server and the messages handed to Rasa."""
    received: list = []

    async def on_new_message(message) -> None:
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "reply")

    channel.blueprint(on_new_message)
    sio = sio_of(channel)

    async def scenario() -> None:
        await sio.handlers["session_request"]("sid-1", {"session_id": "session-a"})
        await sio.handlers["user_uttered"]("sid-1", {"message": "hi", "session_id": "session-a"})

    run(scenario())
    return sio, received


def confirmed(sio: FakeServer) -> list[str]:
    return [data for event, data, _ in sio.emitted if event == "session_confirm"]


def test_persisted_session_joins_its_room_with_a_coroutine_enter_room() -> None:
    channel = FakeServerChannel(session_persistence=True)
    sio, received = session_then_message(channel, lambda c: c.sio)
    # "session-a" was not issued by the server: a new session is
    [token] = confirmed(sio)
    session = channel.session_ids.session_of(token)
    assert session and token != "session-a"
    assert ("sid-1", session) in sio.rooms
    assert [m.sender_id for m in received] == [f"socketio:{session}"]
    # the reply goes to the session's room, which the socket has joined
    assert ("bot_uttered", {"text": "reply"}, session) in sio.emitted


def test_the_check_catches_rasas_unawaited_enter_room(monkeypatch) -> None:
    """Rasa's own channel with a 5.10-style server: the room is never joined."""
    monkeypatch.setattr(rasa_socketio, "AsyncServer", FakeServer)
    channel = rasa_socketio.SocketIOInput(session_persistence=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "coroutine ... never awaited"
        sio, _ = session_then_message(channel, lambda c: c.sio)
    assert ("sid-1", "session-a") not in sio.rooms


@pytest.mark.parametrize("style", ["sync (<5.10)", "coroutine (5.10+)"])
def test_enter_room_helper_handles_both_styles(style: str) -> None:
    joined: list[tuple[str, str, str | None]] = []

    class Sync:
        def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
            joined.append((sid, room, namespace))

    class Coroutine:
        async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
            await asyncio.sleep(0)
            joined.append((sid, room, namespace))

    sio = Sync() if style.startswith("sync") else Coroutine()
    run(enter_room(sio, "sid", "room", "/chat"))
    assert joined == [("sid", "room", "/chat")]


def test_installed_python_socketio_is_below_5_10() -> None:
    """The lock's pin is the first guard; the channel above is the second."""
    version = importlib.metadata.version("python-socketio")
    major, minor = (int(part) for part in version.split(".")[:2])
    assert (major, minor) < (5, 10)


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        ("plain string", BAD_MESSAGE),
        (None, BAD_MESSAGE),
        ({"message": 42, "session_id": "s"}, BAD_MESSAGE),
        ({"message": "hi"}, NO_SESSION),
        ({"message": "hi", "session_id": "x" * 500}, NO_SESSION),
    ],
)
def test_bad_messages_get_a_clear_answer(data: Any, answer: str) -> None:
    channel = FakeServerChannel(session_persistence=True)
    handed_to_rasa: list = []

    async def on_new_message(message) -> None:
        handed_to_rasa.append(message)

    channel.blueprint(on_new_message)
    run(channel.sio.handlers["user_uttered"]("sid-1", data))
    assert handed_to_rasa == []
    assert channel.sio.emitted == [("bot_uttered", {"text": answer}, "sid-1")]


@pytest.mark.parametrize("data", [None, "junk", {"session_id": 7}, {"session_id": " " * 3}])
def test_a_bad_session_request_gets_a_fresh_session(data: Any) -> None:
    channel = FakeServerChannel(session_persistence=True)
    channel.blueprint(lambda message: None)
    run(channel.sio.handlers["session_request"]("sid-1", data))
    event, token, room = channel.sio.emitted[0]
    assert (event, room) == ("session_confirm", "sid-1")
    session = channel.session_ids.session_of(token)
    assert session and len(session) == 32 and token != data
    assert ("sid-1", session) in channel.sio.rooms


def test_metadata_that_is_not_json_is_ignored() -> None:
    channel = FakeServerChannel(session_persistence=False)
    received: list = []

    async def on_new_message(message) -> None:
        received.append(message)

    channel.blueprint(on_new_message)
    run(channel.sio.handlers["user_uttered"]("sid-1", {"message": "hi", "metadata": "{oops"}))
    assert [(m.text, m.sender_id, m.metadata) for m in received] == [("hi", "socketio:sid-1", {})]


def test_allowed_origins_come_from_credentials_then_env_then_the_demo() -> None:
    env = {channel_module.ORIGINS_ENV: "https://a.example, https://b.example/"}
    assert allowed_origins(["https://c.example"], env) == ["https://c.example"]
    assert allowed_origins(None, env) == ["https://a.example", "https://b.example"]
    assert allowed_origins(None, {}) == list(DEFAULT_ORIGINS)
    channel = SocketIOInput.from_credentials({"cors_allowed_origins": "https://d.example"})
    assert channel.cors_allowed_origins == ["https://d.example"]


# --- end to end: a real `rasa run` with credentials.yml ---


@pytest.fixture(scope="module")
def server(trained_model: Path, tmp_path_factory) -> Iterator[RasaServer]:
    with rasa_server(
        trained_model,
        tmp_path_factory.mktemp("socketio"),
        env={channel_module.ORIGINS_ENV: ALLOWED_ORIGIN},
    ) as running:
        yield running


@pytest.fixture
def chats(server: RasaServer) -> Iterator[list[SocketChat]]:
    opened: list[SocketChat] = []
    yield opened
    for chat in opened:
        chat.close()


def open_chat(server: RasaServer, chats: list[SocketChat], origin: str | None = ALLOWED_ORIGIN):
    chat = SocketChat(server.url, origin=origin)
    chats.append(chat)
    return chat.connect()


def test_a_persisted_session_gets_its_replies(server: RasaServer, chats) -> None:
    chat = open_chat(server, chats)
    made_up = uuid.uuid4().hex
    assert chat.start_session(made_up) != made_up  # the server issues the ids
    replies = chat.say("are you a bot?")
    assert [r["text"] for r in replies] == response_texts("utter_iamabot")


def test_a_reloaded_page_continues_the_same_conversation(server: RasaServer, chats) -> None:
    first = open_chat(server, chats)
    session_id = first.start_session()
    first.say("my wife cries when I cry")
    first.close()
    # a new socket (the page reloaded) asks for the same session
    second = open_chat(server, chats)
    assert second.start_session(session_id) == session_id
    tips = second.say("what can I do?")
    text = "\n\n".join(r["text"] for r in tips)
    # the topic and partner slots were kept: tips for crying together, about a wife
    assert text.startswith("What the article suggests when your wife cries with you")
    assert " she " in text


def test_every_socket_of_a_session_gets_its_replies(server: RasaServer, chats) -> None:
    """Two tabs on one session: the room holds both sockets."""
    one, two = open_chat(server, chats), open_chat(server, chats)
    session_id = one.start_session()
    two.start_session(session_id)
    start = len(two.received)
    one.say("are you a bot?")
    assert [r["text"] for r in two.collect(start)] == response_texts("utter_iamabot")


def test_an_unknown_origin_is_refused(server: RasaServer, chats) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        open_chat(server, chats, origin="http://evil.test")


def test_malformed_events_get_a_clear_answer_over_the_wire(server: RasaServer, chats) -> None:
    chat = open_chat(server, chats)
    chat.start_session()
    start = len(chat.received)
    chat.emit("user_uttered", "not an object")
    assert chat.collect(start) == [{"text": BAD_MESSAGE}]


# --- nobody else's session: made-up ids, ids seen elsewhere, REST, many sessions ---

WIFE_TIPS = "What the article suggests when your wife cries with you"


def test_a_session_id_the_server_did_not_sign_starts_a_new_session(server, chats) -> None:
    victim = open_chat(server, chats)
    token = victim.start_session()
    victim.say("my wife cries when I cry")
    session = token.split(".")[0]
    attacker = open_chat(server, chats)
    for guess in (session, f"{session}.{'0' * 32}", uuid.uuid4().hex, f"socketio:{session}"):
        assert attacker.start_session(guess) not in (token, guess)
        tips = "\n".join(r["text"] for r in attacker.say("what can I do?"))
        assert WIFE_TIPS not in tips
        # a message naming the victim's session goes to the attacker's own
        attacker.emit("user_uttered", {"message": "/forget", "session_id": token})
        attacker.collect(len(attacker.received) - 1)
    start = len(attacker.received)
    text = "\n".join(r["text"] for r in victim.say("what can I do?"))
    assert text.startswith(WIFE_TIPS), "the victim's conversation was changed"
    attacker.run(asyncio.sleep(1))
    assert all(WIFE_TIPS not in str(r) for r in attacker.received[start:])


def test_a_socket_holds_one_session_at_a_time(server, chats) -> None:
    hopper, owner = open_chat(server, chats), open_chat(server, chats)
    first = hopper.start_session()
    second = hopper.start_session()
    assert first != second
    owner.start_session(first)  # the rightful owner of the first session, with its id
    start = len(hopper.received)
    owner.say("are you a bot?")
    hopper.run(asyncio.sleep(1.5))
    assert hopper.received[start:] == [], "a socket kept the replies of a session it left"


def test_rest_cannot_continue_or_erase_a_widget_session(server, chats) -> None:
    chat = open_chat(server, chats)
    token = chat.start_session()
    chat.say("my wife cries when I cry")
    for sender in (token, token.split(".")[0], f"socketio:{token.split('.')[0]}"):
        text = "\n".join(r.get("text", "") for r in rest_say(server.url, sender, "what can I do?"))
        assert WIFE_TIPS not in text
        rest_say(server.url, sender, "/forget")
    text = "\n".join(r["text"] for r in chat.say("what can I do?"))
    assert text.startswith(WIFE_TIPS)
