"""`tallybot run`'s Discord service: the client on the shared loop, restarted when it fails.

discord.py reconnects the gateway by itself; this loop also survives a failed login (Discord
unreachable at start) with a backoff, one warning line per attempt, until Discord answers. A
refusal retrying cannot fix (a rejected token, a gateway close code meaning "never again") ends
the service with ServiceFailed: `tallybot run` prints that one sentence and exits 1. The token
never appears in any message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord

from adapters.discord.client import TOKEN_REJECTED, TallyClient, make_client
from adapters.discord.sender import DiscordSender
from bot.app import Core
from bot.errors import ServiceFailed
from bot.health import Check

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 300.0
GATEWAY_REFUSALS = {
    4004: "DISCORD_TOKEN was rejected by Discord's gateway (4004 Authentication failed)",
    4010: "Discord's gateway refused the connection for good (4010 Invalid shard)",
    4011: "Discord's gateway refused the connection for good (4011 Sharding required)",
    4012: "Discord's gateway refused the connection for good (4012 Invalid API version)",
    4013: "Discord's gateway refused the connection for good (4013 Invalid intents)",
    4014: (
        "Discord refused the bot's gateway intents (4014 Disallowed intents): enable them in "
        "the Developer Portal's Bot tab"
    ),
}
"""Close codes after which Discord will not take the same connection again."""


class OneLineReconnects(logging.Filter):
    """discord.py logs each gateway reconnect with a full traceback (`Attempting a reconnect
    in 1.23s`); a network outage is not a bug, so keep the line and name the error instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Attempting a reconnect"):
            exc = record.exc_info[1]
            then = record.getMessage()
            record.msg = (
                f"discord: gateway unavailable ({type(exc).__name__}: {exc}); "
                f"{then[:1].lower()}{then[1:]}"
            )
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


ONE_LINE_RECONNECTS = OneLineReconnects()


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
                if (refusal := refusal_of(exc)) is not None:
                    with contextlib.suppress(Exception):
                        await self.client.close()
                    raise ServiceFailed(refusal) from None
                log.warning("discord: %s; retrying in %gs", self._reason(exc), delay)
            if self.client.logged_in.is_set():
                delay = FIRST_RETRY_SECONDS  # it worked for a while: start the backoff again
            with contextlib.suppress(Exception):
                await self.client.close()
            self.client.logged_in.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
            self.client.reopen()

    def _reason(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        return text.replace(self._token, "[token]") if self._token else text

    async def health(self) -> Check:
        """Every gateway connection this process runs (one per shard): up when all are."""
        states = self.client.gateway_states()
        shards = [
            {
                **({"shard": s.shard} if s.shard is not None else {}),
                "connected": s.connected,
                "latency_ms": None if s.latency is None else round(s.latency * 1000, 1),
            }
            for s in states
        ]
        details: dict[str, object] = {"gateway": shards}
        wanted = self.client.settings.discord_shards
        if wanted is not None:
            details["shard_count"] = wanted.count
        up = not self._stopping and all(s.connected for s in states)
        return Check("discord", up, details)

    async def drain(self) -> None:
        """Let the commands being answered finish (the gateway stays open meanwhile: a new
        one is answered with the dispatcher's refusal)."""
        if self.client.handler is not None:
            await self.client.handler.drain()

    async def wait(self) -> None:
        """Return when the service has stopped; raise ServiceFailed if Discord refused it."""
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


def refusal_of(exc: BaseException) -> str | None:
    """The sentence for a failure retrying cannot fix, or None if it is worth retrying."""
    if isinstance(exc, discord.LoginFailure):
        return TOKEN_REJECTED
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return GATEWAY_REFUSALS[4014]
    if isinstance(exc, discord.ConnectionClosed):
        return GATEWAY_REFUSALS.get(exc.code)
    return None


async def start_discord(core: Core) -> DiscordService:
    """Start the Discord client in a task on the running loop and return its service."""
    token = core.settings.discord_token
    if not token:
        raise ValueError("DISCORD_TOKEN is not set")
    for name in ("discord.client", "discord.shard"):  # unsharded and sharded reconnects
        logging.getLogger(name).addFilter(ONE_LINE_RECONNECTS)
    client = make_client(core.dispatcher, core.store, core.settings)
    service = DiscordService(client, token)
    service.start()
    return service
