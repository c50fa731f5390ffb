"""Whose conversation a message belongs to: the channel, and the id that channel vouches for.

Every channel stores its conversations under ``<channel>:<id>`` (``rest:alice``,
``telegram:995001``, ``telegram:-100:7`` for one member of a group,
``socketio:<session>``), so no channel can name another's conversation: a REST
caller who sends ``"sender": "telegram:995001"`` talks in ``rest:telegram:995001``.
The output channels get the key back as the recipient and take the id out of it.
"""

from __future__ import annotations

# what a channel may vouch for: Telegram ids are 64-bit numbers, REST senders and
# socket.io sessions are far shorter; the tracker stores keep VARCHAR(255)
MAX_IDENTITY_LENGTH = 128
CHANNELS = ("rest", "telegram", "socketio")


def conversation_key(channel: str, identity: str) -> str:
    """The tracker store's sender id of ``identity``'s conversation on ``channel``."""
    assert channel in CHANNELS, channel
    return f"{channel}:{identity}"


def identity_of(key: str, channel: str) -> str:
    """The channel's own id in a conversation key (a key without the prefix is returned
    as it is: an output channel used directly, as in tests)."""
    prefix = f"{channel}:"
    return key[len(prefix) :] if key.startswith(prefix) else key


def channel_of(key: str) -> str | None:
    """The channel of a conversation key, or None for a key of an earlier version."""
    channel, sep, _ = key.partition(":")
    return channel if sep and channel in CHANNELS else None
