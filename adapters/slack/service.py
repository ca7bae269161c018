"""`tallybot run`'s Slack service: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode;
a distributed app (SLACK_CLIENT_ID) is HTTP mode with the OAuth install routes.

Socket Mode needs no public URL (the default for small teams); HTTP mode serves `/slack/events`
and `/healthz` on PORT. Either way everything runs on the caller's event loop. A token Slack
rejects, or a Slack that cannot be reached at start, raises ServiceFailed: one sentence, no
traceback (`tallybot run` exits 1; a process manager restarts it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.slack.app import TallyCommands, build_app
from adapters.slack.client import error_code, interactive_client
from adapters.slack.http import bound_port, serve_http
from adapters.slack.sender import SlackSender, create_sender
from bot.app import Core
from bot.errors import ServiceFailed
from bot.health import Check

if TYPE_CHECKING:  # a distributed app's parts load only when it runs (cryptography: ~25 ms)
    from adapters.slack.installations import SlackInstallations, SlackOAuthStates

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 10.0
"""On stop, answers already acked get this long to reach Slack."""


class SlackService:
    name = "slack"

    def __init__(
        self,
        mode: str,
        sender: SlackSender,
        commands: TallyCommands,
        closers: list[Callable[[], Awaitable[object]]],
        port: int | None = None,
        connected: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.mode = mode
        self._connected = connected
        """Socket Mode: whether its websocket is up (HTTP mode has no connection to watch)."""
        self.sender = sender
        self.commands = commands
        self.port = port
        """HTTP mode: the port actually bound."""
        self._closers = closers
        self._stopped = asyncio.Event()

    async def wait(self) -> None:
        await self._stopped.wait()

    async def drain(self) -> None:
        """Let the commands already acknowledged finish and answer."""
        await self.commands.drain()

    async def health(self) -> Check:
        """Socket Mode: the websocket to Slack is open and answering pings. HTTP mode: up
        while it serves (this very request proves it)."""
        up = not self._stopped.is_set()
        if up and self._connected is not None:
            up = await self._connected()
        return Check("slack", up, {"mode": self.mode})

    async def stop(self) -> None:
        if self._stopped.is_set():
            return
        for close in self._closers:
            try:
                await close()
            except Exception:
                log.exception("closing the slack %s connection failed", self.mode)
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT):
                await self.commands.drain()
        except TimeoutError:
            log.warning("stopped with slack answers still pending")
        await self.commands.response_urls.close()
        self._stopped.set()


async def start_slack(
    core: Core,
    host: str = "0.0.0.0",
    mount: Callable[[web.Application], None] | None = None,
) -> SlackService:
    """Check the bot token (auth.test), then connect by Socket Mode or serve HTTP (with the
    routes `mount` adds, such as the public pages, on the same PORT)."""
    settings = core.settings
    if settings.slack_distributed:
        return await start_distributed(core, host, mount)
    if not settings.slack_bot_token:
        raise RuntimeError("SLACK_BOT_TOKEN is not set")
    client = interactive_client(settings.slack_bot_token, settings.slack_api_url)
    auth = await _checked("SLACK_BOT_TOKEN", settings.slack_api_url, client.auth_test())
    log.info("slack: signed in as %s in %s", auth.get("user"), auth.get("team"))
    sender = create_sender(settings)
    if settings.slack_app_token:
        # The Socket Mode client retries a rejected app token for ever, a traceback each time.
        opener = interactive_client(settings.slack_app_token, settings.slack_api_url)
        await _checked(
            "SLACK_APP_TOKEN",
            settings.slack_api_url,
            opener.apps_connections_open(app_token=settings.slack_app_token),
        )
        app, commands = build_app(core, client)
        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        await handler.connect_async()
        log.info("slack: socket mode connected")
        return SlackService(
            "socket", sender, commands, [handler.close_async], connected=handler.client.is_connected
        )
    if not settings.slack_signing_secret:
        raise RuntimeError("Slack needs SLACK_APP_TOKEN (socket mode) or SLACK_SIGNING_SECRET")
    app, commands = build_app(core, client, signing_secret=settings.slack_signing_secret)
    runner, port = await _serve(app, host, settings.port, mount)
    log.info("slack: HTTP mode on %s:%s (/slack/events, /healthz, public pages)", host, port)
    return SlackService("http", sender, commands, [runner.cleanup], port=port)


def slack_stores(core: Core) -> tuple[SlackInstallations, SlackOAuthStates]:
    """The installation and state stores on the core's database, tokens sealed with
    TALLYBOT_SECRET_KEY when it is set."""
    from adapters.slack.installations import SlackInstallations, SlackOAuthStates
    from bot.token_cipher import TokenCipher

    cipher = TokenCipher(core.settings.secret_key)
    clock = core.dispatcher.clock
    return SlackInstallations(core.store, cipher, clock), SlackOAuthStates(core.store, clock)


async def start_distributed(
    core: Core, host: str, mount: Callable[[web.Application], None] | None
) -> SlackService:
    """HTTP mode for many workspaces: no token to check at start, but the key must open the
    tokens already stored (a wrong or missing TALLYBOT_SECRET_KEY stops here, in one line)."""
    from adapters.slack.oauth import oauth_settings
    from bot.token_cipher import SecretKeyError

    settings = core.settings
    installations, states = slack_stores(core)
    if not installations.cipher.encrypts:
        log.warning(
            "TALLYBOT_SECRET_KEY is not set: the workspaces' Slack tokens are stored "
            "unencrypted in %s (README: A distributed Slack app)",
            settings.database_label,
        )
    try:
        count = await installations.check_key()
    except SecretKeyError as exc:
        raise ServiceFailed(str(exc)) from None
    client = interactive_client(None, settings.slack_api_url)
    app, commands = build_app(
        core,
        client,
        signing_secret=settings.slack_signing_secret,
        oauth=oauth_settings(settings, installations, states),
    )
    runner, port = await _serve(app, host, settings.port, mount)
    log.info(
        "slack: distributed app in %d workspace(s), HTTP mode on %s:%s "
        "(/slack/events, /slack/install, /slack/oauth_redirect, /healthz)",
        count,
        host,
        port,
    )
    sender = create_sender(settings, installations.token_for)
    return SlackService("http", sender, commands, [runner.cleanup], port=port)


async def _serve(
    app: AsyncApp, host: str, port: int, mount: Callable[[web.Application], None] | None
) -> tuple[web.AppRunner, int]:
    try:
        runner = await serve_http(app, host, port, mount=mount)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ServiceFailed(f"PORT={port} can't be served on {host} ({reason})") from None
    return runner, bound_port(runner)


async def _checked(setting: str, api_url: str, call: Awaitable[Any]) -> Any:
    """Await a start-up call; a rejection or a network failure becomes one ServiceFailed line."""
    try:
        return await call
    except SlackApiError as exc:
        raise ServiceFailed(f"{setting} was rejected by Slack ({error_code(exc)})") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise ServiceFailed(f"Slack could not be reached at {api_url} ({reason})") from None
