"""`tallybot dispatch`: deliver alerts, once (cron) or until stopped; and the scheduler
`tallybot run` starts beside its services. Which senders exist is wiring.build_senders' call."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterable
from dataclasses import replace

from bot.alerts.channels import AlertSender, Messenger
from bot.alerts.delivery import DeliveryPolicy, DeliveryStats
from bot.alerts.scheduler import AlertScheduler
from bot.app import Core
from bot.settings import Settings
from tallybot.wiring import build_senders, close_all, open_core

log = logging.getLogger(__name__)


def dispatch_command(args: argparse.Namespace, settings: Settings) -> int:
    policy = replace(
        DeliveryPolicy(),
        send_timeout=args.send_timeout,
        lease=settings.alert_lease,
        watch_every=args.watch,
    )
    if args.once:
        return asyncio.run(dispatch_once(settings, policy))
    return asyncio.run(dispatch_forever(settings, policy, args.interval))


async def dispatch_once(settings: Settings, policy: DeliveryPolicy | None = None) -> int:
    core = open_core(settings)
    senders, closers = await build_senders(settings, store=core.store)
    from tallybot.feeds import FeedReader, FetchPolicy, feeds_summary

    reader = FeedReader(
        core.store, core.dispatcher.clock, FetchPolicy(allow_private=settings.feeds_private)
    )
    try:
        # Feeds first: what they suggest reaches channels subscribed with mode=suggestions
        # in this same run.
        read = await reader.read_due()
        scheduler = AlertScheduler(core.store, senders, core.dispatcher.clock, policy)
        stats = await scheduler.run_once()
        print(_summary(stats))
        if read:
            print(feeds_summary(read))
        return 1 if stats.left_pending else 0
    finally:
        await reader.close()
        await close_all(closers)
        core.close()


async def dispatch_forever(
    settings: Settings, policy: DeliveryPolicy | None = None, interval: float = 30.0
) -> int:
    """Deliver until SIGINT/SIGTERM (a delivery-only process beside `tallybot exec`)."""
    quiet_scheduler_logs()
    core = open_core(settings)
    senders, closers = await build_senders(settings, store=core.store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    scheduler = AlertScheduler(
        core.store,
        senders,
        core.dispatcher.clock,
        policy,
        interval=interval,
    )
    from tallybot.feeds import FeedReader, start_feeds

    feeds: FeedReader | None = None
    try:
        await scheduler.start(core.dispatcher)
        feeds = await start_feeds(core, scheduler)
        log.info("delivering alerts via %s", ", ".join(sorted(senders)))
        await stop.wait()
        return 0
    finally:
        await scheduler.stop()
        if feeds is not None:
            await feeds.close()
        await close_all(closers)
        core.close()


async def start_alerts(
    core: Core, senders: Iterable[AlertSender | None], interval: float = 30.0
) -> AlertScheduler:
    """Start the alert scheduler inside `tallybot run`'s loop with the running services'
    senders; recorded changes wake it through the dispatcher."""
    quiet_scheduler_logs()
    by_platform = {s.platform: s for s in senders if s is not None}
    for sender in by_platform.values():
        if isinstance(sender, Messenger):  # suggesters are told their suggestion's outcome
            core.dispatcher.messengers[sender.platform] = sender
    scheduler = AlertScheduler(
        core.store,
        by_platform,
        core.dispatcher.clock,
        replace(DeliveryPolicy(), lease=core.settings.alert_lease),
        interval=interval,
    )
    await scheduler.start(core.dispatcher)
    return scheduler


def quiet_scheduler_logs() -> None:
    """APScheduler logs every job run at INFO; keep that for TALLYBOT_LOG_LEVEL=DEBUG."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _summary(stats: DeliveryStats) -> str:
    parts = [f"alerts sent: {stats.sent}", f"retries: {stats.retried}"]
    if stats.rejected:
        parts.append(f"refused by the platform (set aside): {stats.rejected}")
    if stats.paused:
        parts.append("paused: " + ", ".join(f"{c.platform}:{c.channel}" for c in stats.paused))
    if stats.left_pending:
        parts.append(
            "left for the next run: "
            + ", ".join(f"{c.platform}:{c.channel}" for c in stats.left_pending)
        )
    return "; ".join(parts)
