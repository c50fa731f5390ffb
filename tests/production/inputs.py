"""Strange messages and malformed requests, by hand and as Hypothesis strategies."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Messages a person (or a script) might send: each deserves a polite reply.
STRANGE_MESSAGES: dict[str, str] = {
    "empty": "",
    "space": " ",
    "whitespace": " \t\n\r \u00a0\u2003 ",
    "control characters": "\x00\x01\x02\x07\x08\x1b[31m\x7f",
    "null in words": "my wife\x00cries",
    "lone surrogate": "\ud800 my partner cries \udfff",
    "100k characters": "my boyfriend cries when I cry " * 3334,
    "100k one word": "a" * 100_000,
    "emoji only": "😭😭😭💔🥺",
    "flags and joiners": "🏳️‍🌈👩‍❤️‍👨🇫🇷",
    "french": "Mon copain pleure quand je pleure, pourquoi ?",
    "german": "Warum weint mein Mann, wenn ich weine?",
    "chinese": "我哭的时候我男朋友也哭，为什么？",  # noqa: RUF001
    "arabic": "لماذا يبكي زوجي عندما أبكي؟",
    "russian": "Почему мой парень плачет, когда я плачу?",
    "hindi": "जब मैं रोती हूँ तो मेरा बॉयफ्रेंड क्यों रोता है?",
    "right-to-left override": "\u202emy wife cries\u202c",
    "zero width": "my\u200b\u200bwife\u200dcries",
    "html": "<script>alert('x')</script><b>my wife</b> cries",
    "sql": "'; DROP TABLE events; -- my wife cries",
    "sql union": "1' OR '1'='1' UNION SELECT * FROM events --",
    "template": "{partner} {{they}} ${HOME} %s %(x)s",
    "json in text": '{"sender": "x", "message": "y"}',
    "unknown intent": "/definitely_not_an_intent",
    "intent with bad entities": '/greet{"partner": [1, 2, {"x": null}]}',
    "intent with broken json": '/greet{"partner": ',
    "long intent": "/greet" + "x" * 5000,
    "forget lookalike": "/forget_everything_else",
    "slash only": "/",
    "path": "../../../../etc/passwd",
    "newlines": "\n" * 1000,
    "numbers": "1234567890" * 10,
}

# Requests that are not a well-formed message: each deserves a 4xx.
MALFORMED_BODIES: dict[str, bytes] = {
    "empty body": b"",
    "not json": b"hello",
    "truncated json": b'{"sender": "a", "message": "hi"',
    "json list": b'[{"sender": "a", "message": "hi"}]',
    "json string": b'"hi"',
    "json number": b"42",
    "json null": b"null",
    "missing sender": b'{"message": "hi"}',
    "missing message": b'{"sender": "a"}',
    "empty sender": b'{"sender": "", "message": "hi"}',
    "blank sender": b'{"sender": "   ", "message": "hi"}',
    "sender number": b'{"sender": 5, "message": "hi"}',
    "sender object": b'{"sender": {"id": 1}, "message": "hi"}',
    "sender too long": json.dumps({"sender": "s" * 1000, "message": "hi"}).encode(),
    "sender control chars": b'{"sender": "a\\u0000b", "message": "hi"}',
    "message number": b'{"sender": "a", "message": 5}',
    "message null": b'{"sender": "a", "message": null}',
    "message list": b'{"sender": "a", "message": ["hi"]}',
    "message object": b'{"sender": "a", "message": {"text": "hi"}}',
    "message bool": b'{"sender": "a", "message": true}',
    "metadata string": b'{"sender": "a", "message": "hi", "metadata": "x"}',
    "metadata list": b'{"sender": "a", "message": "hi", "metadata": [1]}',
    "invalid utf-8": b'{"sender": "a", "message": "\xff\xfe\xc3\x28"}',
    "utf-16": '{"sender": "a", "message": "hi"}'.encode("utf-16"),
    "nan": b'{"sender": "a", "message": NaN}',
    "deep nesting": b'{"sender": "a", "message": "hi", "metadata": '
    + b"[" * 5000
    + b"]" * 5000
    + b"}",
    "two megabytes": json.dumps({"sender": "a", "message": "x" * 2_000_000}).encode(),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)

# any text, with the odd characters Hypothesis favours, plus scripts and emoji
message_texts = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(codec="utf-8"), max_size=100),
    st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), min_size=1, max_size=20),
    st.text(st.characters(max_codepoint=0x1F), max_size=50),
    st.sampled_from(list(STRANGE_MESSAGES.values())),
)

# bodies that look almost right: the right keys with values of any type
request_bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={"sender": json_values, "message": json_values, "metadata": json_values},
    ).map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=200),
)


# --- Telegram updates of random shapes (a seeded generator: fast, repeatable) ---

_KEYS = [
    "update_id", "message", "callback_query", "edited_message", "chat", "from", "id", "text",
    "data", "type", "message_id", "date", "username", "first_name", "entities", "reply_markup",
]  # fmt: skip


def random_value(rng, depth: int = 0):
    """Any JSON value, biased towards what an update holds and what breaks parsers."""
    choice = rng.randrange(14 if depth < 4 else 9)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 42, 2**31, 2**63, -(2**63) - 1, 10**30, rng.randrange(10**9)])
    if choice == 3:
        return rng.random() * 10 ** rng.randrange(20)
    if choice == 4:
        return rng.choice(["", " ", "/", "/start", "/help x", "/greet{", '/greet{"a": 1}', "hi"])
    if choice == 5:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(30)))
    if choice == 6:
        return rng.choice(["1" * 100_000, "x" * 5000, "\x00\ud800", "-100123", "💔" * 50])
    if choice == 7:
        return rng.choice(["private", "group", "supergroup", "channel", "cbq-1"])
    if choice == 8:
        return rng.randrange(-(10**13), 10**13)
    if choice in (9, 10):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(_KEYS): random_value(rng, depth + 1) for _ in range(rng.randrange(1, 6))}


def random_update(rng) -> bytes:
    """One webhook body: mostly update-like objects with fields of random types, some
    deep nesting, some that are not objects at all."""
    kind = rng.randrange(20)
    if kind == 0:
        depth = rng.choice([100, 1000, 100_000])
        return b"[" * depth + b"]" * depth
    if kind == 1:
        return json.dumps(random_value(rng)).encode()
    update = {"update_id": random_value(rng) if rng.random() < 0.2 else rng.randrange(10**9)}
    chat = {"id": rng.choice([rng.randrange(1, 10**6), random_value(rng)])}
    chat["type"] = random_value(rng)
    person = {"id": rng.choice([rng.randrange(1, 10**6), random_value(rng)])}
    message = {
        "message_id": random_value(rng),
        "chat": chat if rng.random() < 0.7 else random_value(rng),
        "from": person if rng.random() < 0.7 else random_value(rng),
        "text": rng.choice([random_value(rng), "hi", "/help", "/start@x y"]),
    }
    if rng.random() < 0.3:
        update["callback_query"] = {
            "id": random_value(rng) if rng.random() < 0.5 else "cbq-fuzz",
            "from": person if rng.random() < 0.7 else random_value(rng),
            "message": message if rng.random() < 0.7 else random_value(rng),
            "data": random_value(rng) if rng.random() < 0.5 else "/help",
        }
    else:
        update[rng.choice(["message", "message", "edited_message", "channel_post"])] = message
    for _ in range(rng.randrange(3)):
        update[rng.choice(_KEYS)] = random_value(rng)
    return json.dumps(update).encode()
