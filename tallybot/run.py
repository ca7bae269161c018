"""`tallybot run`: every configured adapter on one event loop; the console when none is.

A half-configured Slack stops it before anything starts (never a silent fall-back to the
console); a platform refusing its token ends the run with ServiceFailed (exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adapters.console.repl import operator_actor, run_console
from adapters.console.sender import ConsoleSender
from adapters.web.service import PagesService, mount_pages, pages_wanted, start_pages
from bot.app import Core
from bot.settings import Settings, SettingsError
from tallybot.dispatch import start_alerts
from tallybot.feeds import FeedReader, start_feeds
from tallybot.wiring import open_core

if TYPE_CHECKING:  # imported lazily below: a run loads only the platforms it starts
    from adapters.discord.service import DiscordService
    from adapters.slack.service import SlackService

log = logging.getLogger(__name__)


async def run_bot(settings: Settings) -> int:
    if missing := settings.slack_missing():
        raise SettingsError(missing)
    core = open_core(settings)
    alerts = None
    feeds: FeedReader | None = None
    try:
        services: list[SlackService | DiscordService | PagesService] = []
        http_served = False
        if settings.slack_enabled:
            from adapters.slack.service import start_slack

            slack = await start_slack(core, mount=mount_pages(core))
            services.append(slack)
            http_served = slack.port is not None
        if settings.discord_enabled:
            from adapters.discord.service import start_discord

            services.append(await start_discord(core))
        if not services:
            log.info("no chat tokens set: starting the console on %s", settings.db_path)
            alerts = await start_alerts(core, [ConsoleSender()])
            feeds = await start_feeds(core, alerts)
            await run_console(core, operator_actor())
            return 0
        alerts = await start_alerts(core, [s.sender for s in services])
        feeds = await start_feeds(core, alerts)
        services += await pages_beside(core, http_served)
        log.info("running: %s", ", ".join(s.name for s in services))
        running = asyncio.ensure_future(asyncio.gather(*(s.wait() for s in services)))
        try:
            await _until_done_or_signalled(running)
        finally:
            await core.dispatcher.settle()  # suggesters' notices go out before the clients close
            await alerts.stop()  # in-flight alerts finish before the clients close
            for service in services:
                await service.stop()
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running
        return 0
    finally:
        if alerts is not None:
            await alerts.stop()  # the feeds job stops with it
        if feeds is not None:
            await feeds.close()
        core.close()


async def _until_done_or_signalled(running: asyncio.Future[list[None]]) -> None:
    """Wait for the services, or for SIGTERM/SIGINT (systemd, docker stop, Ctrl-C): either way
    return normally so they are stopped in order (alerts drained) and the exit status is 0."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        waiting: set[asyncio.Future[Any]] = {running, stopping}  # results of different types
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            log.info("stopping on a signal")
        elif running.done():
            running.result()  # a service that failed raises here, as before
    finally:
        stopping.cancel()
        for sig in handled:
            loop.remove_signal_handler(sig)


async def pages_beside(
    core: Core, http_served: bool, env: Mapping[str, str] | None = None
) -> list[PagesService]:
    """The public pages on PORT: Slack's HTTP mode already serves them on its own application;
    otherwise they get a server of their own when PORT is set."""
    if http_served or not pages_wanted(env):
        return []
    return [await start_pages(core)]
