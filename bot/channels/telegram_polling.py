"""Telegram long polling, for a bot with no public HTTPS address.

    python -m bot.channels.telegram_polling        # or: make telegram-poll

Deletes the webhook, asks Telegram for updates with ``getUpdates`` and hands each one
to the bot in this process (Rasa's Agent with the project's model and endpoints),
through the same ``TelegramInput.handle_update`` the webhook uses. Running the agent
here rather than posting to a running server's webhook means one command is enough,
no secret or port has to be shared between two processes, and the offset on disk
moves only once the bot has finished answering.

The offset (the id of the next update wanted) is written after every update,
atomically (temporary file, fsync, rename), so a restart neither loses nor repeats
an update. Telegram itself forgets an update only once a later getUpdates passes a
higher offset, which is why the file matters: a stop in the middle of a batch would
otherwise see that batch again. A crash between the bot's reply and the write would
repeat that one update, but the tracker store also remembers each update handled
(as for the webhook), so it is not answered twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from aiogram.utils.exceptions import NetworkError, TelegramAPIError

from bot.channels.telegram import ALLOWED_UPDATES, OnNewMessage, TelegramInput

logger = logging.getLogger(__name__)

CHANNEL_KEY = "bot.channels.telegram.TelegramInput"
DEFAULT_OFFSET_FILE = Path(".rasa/telegram-offset.json")


class OffsetStore:
    """The next update id to ask for, kept in a small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text())["offset"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            # a damaged file must not stop the bot; Telegram then resends what it holds
            logger.error("Ignoring unreadable offset file %s: %s", self.path, error)
            return None

    def save(self, offset: int) -> None:
        """Replace the file in one step: readers see the old or the new offset, never half."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w") as f:
            json.dump({"offset": offset}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)


class Poller:
    def __init__(
        self,
        channel: TelegramInput,
        on_new_message: OnNewMessage,
        store: OffsetStore,
        *,
        poll_timeout: int = 30,
        retry_delay: float = 5.0,
        agent: Any = None,
    ) -> None:
        self.channel, self.on_new_message, self.store = channel, on_new_message, store
        self.agent = agent  # its tracker store remembers the updates handled
        self.poll_timeout, self.retry_delay = poll_timeout, retry_delay
        self.stopping = asyncio.Event()
        self.handled = 0

    def stop(self) -> None:
        """Finish the update in hand, save the offset, then return from run()."""
        self.stopping.set()

    async def run(self) -> None:
        bot = self.channel.get_output_channel()
        self.channel.webhook_url = ""  # polling and a webhook exclude each other
        await self.channel.start()  # getMe, once
        await bot.request("deleteWebhook")
        offset = self.store.load()
        logger.info("Polling Telegram for updates (offset %s)", offset)
        while not self.stopping.is_set():
            updates = await self._get_updates(offset)
            for update in updates:
                if self.stopping.is_set():
                    break  # the rest of the batch stays with Telegram for next time
                # the replies are sent before the offset moves on
                await self.channel.handle_update(
                    update, self.on_new_message, self.agent, background=False
                )
                offset = int(update["update_id"]) + 1
                self.store.save(offset)
                self.handled += 1

    async def _get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "timeout": self.poll_timeout,
            "allowed_updates": json.dumps(ALLOWED_UPDATES),
        }
        if offset is not None:
            params["offset"] = offset
        poll = asyncio.ensure_future(
            self.channel.get_output_channel().request("getUpdates", params)
        )
        stop = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({poll, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not poll.done():
            poll.cancel()  # nothing was received, so nothing is lost
            return []
        stop.cancel()
        try:
            return [u for u in poll.result() if isinstance(u, dict) and "update_id" in u]
        except (NetworkError, TelegramAPIError) as error:
            logger.warning("getUpdates failed (%s); retrying in %.0fs", error, self.retry_delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.retry_delay)
            return []


def load_channel(credentials_file: Path) -> TelegramInput:
    """The channel as credentials.yml (completed from the environment) configures it."""
    from rasa.shared.utils.io import read_config_file

    credentials = {}
    if credentials_file.exists():
        credentials = read_config_file(str(credentials_file)).get(CHANNEL_KEY) or {}
    return TelegramInput.from_credentials(credentials)


async def serve(args: argparse.Namespace) -> int:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.model import get_latest_model

    channel = load_channel(args.credentials)
    if not channel.enabled:
        logger.error(
            "Telegram polling cannot start: %s (see README, Telegram).", channel.disabled_reason
        )
        return 2
    model = args.model or get_latest_model("models")
    if not model:
        logger.error("No trained model in models/: run `make train` first.")
        return 2
    endpoints = AvailableEndpoints.read_endpoints(str(args.endpoints))
    agent = await load_agent(model_path=str(model), endpoints=endpoints)
    if not agent.is_ready():
        logger.error("Could not load the model %s", model)
        return 2
    poller = Poller(
        channel,
        agent.handle_message,
        OffsetStore(args.offset_file),
        poll_timeout=args.poll_timeout,
        agent=agent,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, poller.stop)
    try:
        await poller.run()
    except TelegramAPIError as error:
        logger.error("Telegram refused the bot: %s", error)
        return 1
    finally:
        await channel.close()
    logger.info("Stopped after %d updates", poller.handled)
    return 0


def main(argv: list[str] | None = None) -> int:
    from bot.speedups import install

    install()  # as every entry point: before Rasa or TensorFlow load
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model archive (default: the latest in models/)")
    parser.add_argument("--endpoints", type=Path, default=Path("endpoints.yml"))
    parser.add_argument("--credentials", type=Path, default=Path("credentials.yml"))
    parser.add_argument("--offset-file", type=Path, default=DEFAULT_OFFSET_FILE)
    parser.add_argument("--poll-timeout", type=int, default=30, help="seconds per getUpdates")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s"
    )
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
