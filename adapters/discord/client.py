"""The Discord client: slash commands from the spec, no pings, optionally pointed at a fake API.

`DISCORD_API_URL` (settings.discord_api_url) redirects discord.py's REST calls (Route.BASE) and,
at login, its gateway (the URL the API's GET /gateway/bot gives), so the whole running bot can
talk to a local stand-in. Commands are synced by `tallybot discord sync`, never on connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.utils import MISSING

from adapters.discord.commands import build_commands
from adapters.discord.interactions import DEFER_AFTER_SECONDS, InteractionHandler
from adapters.discord.moderation import ModeratorCheck
from adapters.discord.render import NO_MENTIONS
from adapters.discord.suggestions import handle_suggestion_interaction
from bot.commands.dispatcher import Dispatcher
from bot.errors import ServiceFailed
from bot.settings import DiscordShards, Settings
from bot.storage import Store

log = logging.getLogger(__name__)

RATELIMIT_TIMEOUT_SECONDS = 30.0
"""Longer rate-limit waits raise discord.RateLimited instead of sleeping (30 is the minimum)."""
FAILURE_REPLY = "Something went wrong on our side; nothing was saved."
TOKEN_REJECTED = "DISCORD_TOKEN was rejected by Discord (401 Unauthorized)"
_SUGGESTION_TYPES = (discord.InteractionType.component, discord.InteractionType.modal_submit)


def use_api_url(api_url: str | None) -> None:
    """Send discord.py's REST (and interaction webhook) calls to `api_url` (None: Discord)."""
    if api_url:
        discord.http.Route.BASE = api_url.rstrip("/")


def unreachable(exc: BaseException) -> str:
    """One line for a Discord that could not be reached (the API base URL named)."""
    reason = str(exc) or type(exc).__name__
    return f"Discord could not be reached at {discord.http.Route.BASE} ({reason})"


async def login_checked(client: discord.Client, token: str) -> None:
    """`client.login` for one-shot commands (sync, invite): a rejected token or an unreachable
    Discord becomes one ServiceFailed line instead of a traceback."""
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise ServiceFailed(TOKEN_REJECTED) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise ServiceFailed(unreachable(exc)) from None


def intents() -> discord.Intents:
    """GUILDS only (not privileged): the guild cache gives role names for the moderator role."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class TallyTree(app_commands.CommandTree[discord.Client]):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("discord command /%s failed: %s", command, type(error).__name__, exc_info=error)
        if interaction.response.is_done():
            return
        try:
            await interaction.response.send_message(
                FAILURE_REPLY, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            log.warning("could not report the failure to Discord: HTTP %s", exc.status)


class TallyClient(discord.Client):
    """A Client whose tree is the spec; REST-only use (sync, invite, sender) just logs in."""

    def __init__(
        self,
        dispatcher: Dispatcher | None,
        store: Store | None,
        settings: Settings,
        *,
        defer_after: float = DEFER_AFTER_SECONDS,
        rest_only: bool = False,
        **options: Any,
    ) -> None:
        use_api_url(settings.discord_api_url)
        # The bot never joins voice: no "voice will NOT be supported" warnings at each start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=options.pop("intents", intents()),
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=RATELIMIT_TIMEOUT_SECONDS,
            **options,
        )
        self.settings = settings
        self.rest_only = rest_only
        """Sync, invite and the standalone sender never open the gateway: don't look it up."""
        self.tree = TallyTree(self)
        self.moderators = ModeratorCheck(self, settings.discord_mod_role)
        self.logged_in = asyncio.Event()
        """Set once logged in over REST (the sender waits for it), before the gateway."""
        self.handler: InteractionHandler | None = None
        if dispatcher is not None and store is not None:
            self.handler = InteractionHandler(dispatcher, store, self.moderators, defer_after)
            for command in build_commands(
                dispatcher.commands, self.handler.handle, self.handler.complete
            ):
                self.tree.add_command(command)

    async def setup_hook(self) -> None:
        if self.settings.discord_api_url and not self.rest_only:
            _, url, _ = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("discord gateway redirected to %s", yarl.URL(url).with_query(None))
        self.logged_in.set()

    def reopen(self) -> None:
        """Make a closed client startable again, for the service's retry after a failed start
        (call it on the running loop).

        discord.py's close() leaves two things behind that clear() does not undo: the HTTP
        connector, closed with its session, on which every later login fails with "Session is
        closed" (discord.py issue 9121); and `loop` set to MISSING, which login() no longer
        resets, so READY could not be dispatched. Dropping the closed connector makes
        static_login build a new one; the client, its tree and the sender holding it stay the
        same objects.
        """
        self.clear()
        self.logged_in.clear()
        self.loop = asyncio.get_running_loop()
        connector = self.http.connector
        if connector is not MISSING and connector.closed:
            self.http.connector = MISSING

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Review buttons and forms (slash commands go through the tree)."""
        if self.handler is None or interaction.type not in _SUGGESTION_TYPES:
            return
        try:
            await handle_suggestion_interaction(self.handler, interaction)
        except Exception as exc:
            log.error("discord suggestion interaction failed: %s", type(exc).__name__, exc_info=exc)
            if not interaction.response.is_done():
                with contextlib.suppress(discord.HTTPException):
                    await interaction.response.send_message(
                        FAILURE_REPLY, ephemeral=True, allowed_mentions=NO_MENTIONS
                    )

    async def on_ready(self) -> None:
        log.info("discord: connected as %s (%s guilds)", self.user, len(self.guilds))

    def gateway_states(self) -> list[ShardState]:
        """The one gateway connection's state (shard None: the bot is not sharded)."""
        ws = self.ws
        connected = ws is not None and ws.open and self.is_ready() and not self.is_closed()
        return [ShardState(None, connected, _finite(self.latency) if connected else None)]


class ShardedTallyClient(TallyClient, discord.AutoShardedClient):
    """TALLYBOT_DISCORD_SHARDS: discord.py's AutoShardedClient running only the shards named,
    each with its own gateway connection and IDENTIFY [shard id, shard count].

    With a shard count given, discord.py connects to its default gateway (redirected to the
    fake by `setup_hook` when DISCORD_API_URL is set) instead of asking GET /gateway/bot for a
    count, and IDENTIFYs the shards one after the other (5 s apart, Discord's pace)."""

    def __init__(
        self,
        dispatcher: Dispatcher | None,
        store: Store | None,
        settings: Settings,
        shards: DiscordShards,
        **options: Any,
    ) -> None:
        super().__init__(
            dispatcher,
            store,
            settings,
            shard_ids=list(shards.ids),
            shard_count=shards.count,
            **options,
        )
        self.wanted = shards

    def gateway_states(self) -> list[ShardState]:
        """Every shard this process runs, connected or not (one not yet launched is not)."""
        launched = self.shards
        states = []
        for shard_id in self.wanted.ids:
            info = launched.get(shard_id)
            connected = info is not None and not info.is_closed() and not self.is_closed()
            latency = _finite(info.latency) if info is not None and connected else None
            states.append(ShardState(shard_id, connected, latency))
        return states


@dataclass(frozen=True)
class ShardState:
    """One gateway connection as /healthz reports it."""

    shard: int | None
    connected: bool
    latency: float | None
    """Seconds between the last heartbeat and its ack; None before the first ack."""


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def make_client(dispatcher: Dispatcher, store: Store, settings: Settings) -> TallyClient:
    """The running bot's client: sharded when TALLYBOT_DISCORD_SHARDS says so."""
    if settings.discord_shards is not None:
        return ShardedTallyClient(dispatcher, store, settings, settings.discord_shards)
    return TallyClient(dispatcher, store, settings)
