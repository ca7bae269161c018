"""The Discord client: slash commands from the spec, no pings, optionally pointed at a fake API.

`DISCORD_API_URL` (settings.discord_api_url) redirects discord.py's REST calls (Route.BASE) and,
at login, its gateway (the URL the API's GET /gateway/bot gives), so the whole running bot can
talk to a local stand-in. Commands are synced by `tallybot discord sync`, never on connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
from bot.settings import Settings
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
