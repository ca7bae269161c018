"""The alert scheduler: APScheduler (3.11, AsyncIOScheduler) in the bot's own event loop.

Jobs live in a MemoryJobStore rebuilt from our tables at start (the tables are the truth):
- `deliver`, an interval job (the safety net) that a recorded change also fires at once;
- one cron job per digest subscription, at its `at=` in its `tz=`.
Digests that fell due while nothing ran are written at start, so none is skipped.

`clock` must be the time APScheduler sees (the real clock in the bot; tests that drive the
scheduler point both at one settable clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.alerts.channels import AlertSender
from bot.alerts.delivery import Deliverer, DeliveryPolicy, DeliveryStats
from bot.alerts.digest import missed_digest, write_digest
from bot.alerts.model import Subscription
from bot.commands.dispatcher import Dispatcher
from bot.events import DomainEvent
from bot.storage import Store

log = logging.getLogger(__name__)

DELIVER_JOB = "deliver"


class AlertScheduler:
    def __init__(
        self,
        store: Store,
        senders: Mapping[str, AlertSender],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy | None = None,
        interval: float = 30.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.interval = interval
        self.deliverer = Deliverer(store, senders, clock, policy)
        self.scheduler: AsyncIOScheduler | None = None
        self._subscriptions_version: tuple[int, str] | None = None
        self._digest_jobs: set[str] = set()
        self._running_jobs: set[asyncio.Task[object]] = set()

    # running inside the bot --------------------------------------------------

    async def start(self, dispatcher: Dispatcher | None = None) -> None:
        """Start in the running loop; with a dispatcher, recorded changes wake delivery at once."""
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            jobstores={"default": MemoryJobStore()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.scheduler.add_job(
            self._deliver_job,
            IntervalTrigger(seconds=self.interval, timezone=UTC),
            id=DELIVER_JOB,
            max_instances=8,
            next_run_time=self.clock(),
        )
        await self.sync_digests()
        self.scheduler.start()
        self.deliverer.start()
        if dispatcher is not None:
            dispatcher.commit_listeners.append(self.on_commit)

    def on_commit(self, events: list[DomainEvent]) -> None:
        """A change was committed with its outbox rows: run the delivery job now."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.modify_job(DELIVER_JOB, next_run_time=self.clock())
        else:
            self.deliverer.wake()

    async def stop(self) -> None:
        """Stop scheduling, let jobs and sends in progress finish (briefly); safe to call twice."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no new runs; shutting down would cancel running ones
            await asyncio.sleep(0)  # a run just submitted starts (and is tracked)
            if self._running_jobs:
                await asyncio.wait(set(self._running_jobs), timeout=5.0)
            self.scheduler.shutdown(wait=False)
        await self.deliverer.stop()

    def every(self, job_id: str, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        """Another periodic job on this scheduler (the news feeds), started now and let finish
        by `stop` like delivery; an error is logged and the next run comes anyway. It runs in
        every process that runs a scheduler: `work` must be safe to run in several at once
        (the feeds claim each feed in the database)."""
        if self.scheduler is None:
            raise RuntimeError("start the scheduler first")

        async def job() -> None:
            with self._tracked():
                try:
                    await work()
                except Exception:
                    log.exception("%s: the job failed; it runs again in %g s", job_id, seconds)

        self.scheduler.add_job(
            job,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id=job_id,
            next_run_time=self.clock(),
        )

    async def _deliver_job(self) -> None:
        with self._tracked():
            try:
                await self.sync_digests()
            except Exception:
                log.exception("re-reading digest subscriptions failed")
            self.deliverer.wake()

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        """Note the running job so `stop` can let it finish instead of cancelling it."""
        task = asyncio.current_task()
        if task is not None:
            self._running_jobs.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._running_jobs.discard(task)

    # one-off runs ------------------------------------------------------------

    async def run_once(self) -> DeliveryStats:
        """Write digests that are due, deliver every due row, return (no scheduler needed)."""
        await self.catch_up_digests()
        return await self.deliverer.drain()

    # digests -----------------------------------------------------------------

    async def sync_digests(self, force: bool = False) -> None:
        """Rebuild the digest cron jobs from the subscriptions table when it changed."""
        version = await self.store.run(lambda tx: tx.alerts.subscriptions_version(), write=False)
        if version == self._subscriptions_version and not force:
            return
        self._subscriptions_version = version
        subs = await self.store.run(lambda tx: tx.alerts.digest_subscriptions(), write=False)
        wanted = {f"digest:{s.id}": s for s in subs if s.digest_at}
        if self.scheduler is not None:
            for job_id in self._digest_jobs - set(wanted):
                if self.scheduler.get_job(job_id):
                    self.scheduler.remove_job(job_id)
            for job_id, sub in wanted.items():
                self.scheduler.add_job(
                    self.digest_job,
                    _digest_trigger(sub),
                    args=(sub.id,),
                    id=job_id,
                    replace_existing=True,
                )
        self._digest_jobs = set(wanted)
        await self.catch_up_digests(subs)

    async def catch_up_digests(self, subs: list[Subscription] | None = None) -> int:
        if subs is None:
            subs = await self.store.run(lambda tx: tx.alerts.digest_subscriptions(), write=False)
        now = self.clock()
        written = 0
        for sub in subs:
            if (
                missed_digest(sub, now)
                and await self.store.run(partial(write_digest, sub_id=sub.id, now=now)) is not None
            ):
                written += 1
        if written:
            self.deliverer.wake()
        return written

    async def digest_job(self, sub_id: int) -> None:
        """A digest's cron time came: write it (once per local day) and deliver it."""
        now = self.clock()
        with self._tracked():
            if await self.store.run(lambda tx: write_digest(tx, sub_id, now)):
                self.deliverer.wake()

    def next_digest(self, sub_id: int) -> datetime | None:
        job = self.scheduler.get_job(f"digest:{sub_id}") if self.scheduler else None
        return job.next_run_time if job else None


def _digest_trigger(sub: Subscription) -> CronTrigger:
    assert sub.digest_at is not None
    hour, minute = (int(part) for part in sub.digest_at.split(":"))
    return CronTrigger(hour=hour, minute=minute, timezone=ZoneInfo(sub.tz))
