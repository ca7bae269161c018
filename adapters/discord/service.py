"""`tallybot run`'s Discord service: the client on the shared loop, restarted when it fails.

discord.py reconnects the gateway by itself; this loop also survives a failed login (network
down at start) with a backoff, and stops for good on errors retrying cannot fix (a bad token,
missing intents). Failures are logged without the token; nothing is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord

from adapters.discord.client import TallyClient
from adapters.discord.sender import DiscordSender
from bot.app import Core

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 300.0
FATAL_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})


class DiscordService:
    name = "discord"

    def __init__(self, client: TallyClient, token: str) -> None:
        self.client = client
        self._token = token
        self.sender: DiscordSender = DiscordSender(client, ready=client.logged_in)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="discord")

    async def _run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while not self._stopping:
            try:
                await self.client.start(self._token, reconnect=True)
                if self._stopping:
                    return
                log.warning("discord: the connection ended; starting again")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = self._reason(exc)
                if _fatal(exc):
                    log.error("discord: giving up: %s", reason)
                    return
                log.warning("discord: %s; retrying in %.0fs", reason, delay)
            finally:
                self.client.logged_in.clear()
            with contextlib.suppress(Exception):
                await self.client.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
            self.client.clear()

    def _reason(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        return text.replace(self._token, "[token]") if self._token else text

    async def wait(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(Exception):
            await self.client.close()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


def _fatal(exc: BaseException) -> bool:
    if isinstance(exc, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return True
    return isinstance(exc, discord.ConnectionClosed) and exc.code in FATAL_CLOSE_CODES


async def start_discord(core: Core) -> DiscordService:
    """Start the Discord client in a task on the running loop and return its service."""
    token = core.settings.discord_token
    if not token:
        raise ValueError("DISCORD_TOKEN is not set")
    client = TallyClient(core.dispatcher, core.store, core.settings)
    service = DiscordService(client, token)
    service.start()
    return service
