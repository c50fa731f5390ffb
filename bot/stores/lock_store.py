"""A Redis lock store whose lock is one atomic Redis command, for several Rasa servers.

Rasa's ``RedisLockStore`` takes a conversation's lock by reading a JSON ticket list,
adding a ticket and writing it back: three round trips with no atomicity. Two servers
that receive a message for the same conversation at the same moment both read "no
lock", both write ticket 0 and both go ahead, so they process the conversation at once
and one's events overwrite or interleave with the other's (RasaHQ/rasa PR 11256).

Here the lock is ``SET key token NX PX lifetime``: Redis lets exactly one server set
it. The token starts with a fencing number from ``INCR``, strictly increasing per
conversation, and the lock is released by a Lua script only while it still holds that
token, so a server whose lock expired never deletes the next holder's lock. Waiters
poll with a short back-off; they are served one at a time, not strictly first come
first served. Enabled in endpoints.scale.yml::

    lock_store:
      type: bot.stores.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      password: ${REDIS_PASSWORD}   # optional
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# delete the key only if it still holds our token (atomic compare-and-delete)
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

FIRST_WAIT_SECONDS = 0.005
MAX_WAIT_SECONDS = 0.05
# a day: the fencing counter only has to outlive any lock on the conversation
FENCE_TTL = 86_400


class AtomicRedisLockStore(LockStore):
    """Per-conversation mutual exclusion across servers with ``SET NX PX``."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        host: str = "localhost",
        port: int = 6379,
        db: int = 1,
        username: str | None = None,
        password: str | None = None,
        key_prefix: str = "bot",
        socket_timeout: float = 10,
    ) -> None:
        import redis

        options: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.red = redis.StrictRedis(
            host=(endpoint_config.url if endpoint_config and endpoint_config.url else host),
            port=int(options.get("port", port)),
            db=int(options.get("db", db)),
            username=options.get("username", username) or None,
            password=options.get("password", password) or None,
            socket_timeout=float(options.get("socket_timeout", socket_timeout)),
        )
        self.prefix = f"{options.get('key_prefix', key_prefix)}:lock:"
        self._release = self.red.register_script(RELEASE_SCRIPT)
        super().__init__()

    def _key(self, conversation_id: str) -> str:
        return self.prefix + conversation_id

    def new_token(self, conversation_id: str) -> str:
        """A unique token whose leading fencing number grows with every lock request."""
        fence_key = self._key(conversation_id) + ":fence"
        fence, _ = self.red.pipeline().incr(fence_key).expire(fence_key, FENCE_TTL).execute()
        return f"{fence}:{uuid.uuid4().hex}"

    def try_acquire(self, conversation_id: str, token: str, lifetime: float) -> bool:
        """One attempt: True if this token now holds the conversation's lock."""
        px = max(1, int(lifetime * 1000))
        return bool(self.red.set(self._key(conversation_id), token, nx=True, px=px))

    def release(self, conversation_id: str, token: str) -> bool:
        """Release the lock if it is still ours; False when it had expired meanwhile."""
        return bool(self._release(keys=[self._key(conversation_id)], args=[token]))

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock; wait at most ``lock_lifetime`` for it."""
        deadline = time.monotonic() + lock_lifetime
        wait = FIRST_WAIT_SECONDS
        token = self.new_token(conversation_id)
        while not self.try_acquire(conversation_id, token, lock_lifetime):
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation '{conversation_id}'.")
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_WAIT_SECONDS)
        try:
            # Rasa's callers ignore the yielded value; a TicketLock keeps the interface.
            yield TicketLock(conversation_id)
        finally:
            if not self.release(conversation_id, token):
                logger.error(
                    "A conversation lock expired before its message was processed; "
                    "raise TICKET_LOCK_LIFETIME."
                )

    # The ticket interface of the base class is not used by this store.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(self._key(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore keeps no ticket lists")
