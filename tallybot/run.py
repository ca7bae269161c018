"""`tallybot run`: every configured adapter on one event loop; the console when none is.

A half-configured Slack stops it before anything starts (never a silent fall-back to the
console); a platform refusing its token ends the run with ServiceFailed (exit 1). `/healthz` on
PORT reports the database and every platform. SIGTERM drains: new commands are refused with a
sentence, commands and alert sends in progress finish (marked sent), within
TALLYBOT_STOP_GRACE seconds, then the clients close and the exit status is 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from adapters.console.repl import operator_actor, run_console
from adapters.console.sender import ConsoleSender
from adapters.web.health import mount_health
from adapters.web.service import (
    Mount,
    PagesService,
    mount_all,
    mount_pages,
    pages_wanted,
    start_pages,
)
from bot.alerts.scheduler import AlertScheduler
from bot.app import Core
from bot.health import HealthReport, HealthSource, health_report
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
        platforms: list[SlackService | DiscordService] = []
        health = mount_health(reporter(core, platforms))
        http_served = False
        if settings.slack_enabled:
            from adapters.slack.service import start_slack

            slack = await start_slack(core, mount=mount_all(mount_pages(core), health))
            platforms.append(slack)
            http_served = slack.port is not None
        if settings.discord_enabled:
            from adapters.discord.service import start_discord

            platforms.append(await start_discord(core))
        if not platforms:
            log.info("no chat tokens set: starting the console on %s", settings.database_label)
            alerts = await start_alerts(core, [ConsoleSender()])
            feeds = await start_feeds(core, alerts)
            await run_console(core, operator_actor())
            return 0
        services += platforms
        alerts = await start_alerts(core, [s.sender for s in platforms])
        feeds = await start_feeds(core, alerts)
        services += await pages_beside(core, http_served, mount=health)
        log.info("running: %s", ", ".join(s.name for s in services))
        running = asyncio.ensure_future(asyncio.gather(*(s.wait() for s in services)))
        signals = Signals()
        try:
            with signals:
                if await _until_done_or_signalled(running, signals.stop):
                    await drain(core, platforms, alerts, settings.stop_grace, signals.hurry)
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


def reporter(
    core: Core, platforms: list[SlackService | DiscordService]
) -> Callable[[], Awaitable[HealthReport]]:
    """`/healthz`'s report: the database and the platforms started so far (the list fills as
    they start), draining once a signal came."""

    async def report() -> HealthReport:
        sources: list[HealthSource] = list(platforms)
        return await health_report(core.store, sources, draining=core.dispatcher.draining)

    return report


async def drain(
    core: Core,
    platforms: list[SlackService | DiscordService],
    alerts: AlertScheduler,
    grace: float,
    hurry: asyncio.Event | None = None,
) -> None:
    """Stop taking work and let the work in progress finish, within `grace` seconds in all
    (or until `hurry` is set: a second signal): commands being handled reply, alert sends in
    progress are accepted and marked sent. What is still running then is cancelled (an alert
    cancelled mid-send stays pending and goes out after the restart)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    core.dispatcher.draining = True
    log.info("draining: finishing work in progress (up to %gs)", grace)
    commands = asyncio.ensure_future(asyncio.gather(*(p.drain() for p in platforms)))
    # The deliverer cancels the sends still running at `grace` itself (so they are not left
    # behind): it returning that late means it did.
    sends = asyncio.ensure_future(alerts.deliverer.stop(grace))
    work: set[asyncio.Future[Any]] = {commands, sends}
    hurried = asyncio.ensure_future((hurry or asyncio.Event()).wait())
    try:
        finished = asyncio.ensure_future(asyncio.wait(work, timeout=grace))
        await asyncio.wait({finished, hurried}, return_when=asyncio.FIRST_COMPLETED)
        finished.cancel()
    finally:
        hurried.cancel()
    cut = not sends.done() or loop.time() - started >= grace
    named = (("commands", not commands.done()), ("alert sends", cut))
    late = [name for name, still in named if still]
    for task in work:
        task.cancel()
    await asyncio.gather(*work, return_exceptions=True)
    if hurry is not None and hurry.is_set():
        await alerts.deliverer.stop(0)  # cancel the sends it was still waiting for
    took = loop.time() - started
    if late:
        log.warning(
            "stopped after %.1fs with %s still running (cancelled)", took, " and ".join(late)
        )
    else:
        log.info("drained in %.1fs", took)


class Signals:
    """SIGTERM/SIGINT while running (systemd, docker stop, Ctrl-C): the first asks for a
    drained stop (`stop`), a second one cuts the drain short (`hurry`)."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.hurry = asyncio.Event()
        self._handled: list[signal.Signals] = []

    def _received(self) -> None:
        if self.stop.is_set():
            log.warning("a second signal: stopping now")
            self.hurry.set()
        self.stop.set()

    def __enter__(self) -> Signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._received)
                self._handled.append(sig)
        return self

    def __exit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._handled:
            loop.remove_signal_handler(sig)


async def _until_done_or_signalled(
    running: asyncio.Future[list[None]], stop: asyncio.Event
) -> bool:
    """Wait for the services, or for a signal: either way return normally so they are stopped
    in order (work drained) and the exit status is 0. True when a signal came."""
    stopping = asyncio.ensure_future(stop.wait())
    try:
        waiting: set[asyncio.Future[Any]] = {running, stopping}  # results of different types
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            log.info("stopping on a signal")
            return True
        running.result()  # a service that failed raises here, as before
        return False
    finally:
        stopping.cancel()


async def pages_beside(
    core: Core, http_served: bool, env: Mapping[str, str] | None = None, mount: Mount | None = None
) -> list[PagesService]:
    """The public pages (and `/healthz`, which `mount` adds) on PORT: Slack's HTTP mode
    already serves them on its own application; otherwise they get a server of their own when
    PORT is set."""
    if http_served or not pages_wanted(env):
        return []
    return [await start_pages(core, mount=mount)]
