"""Delivering the outbox: one worker per channel, in order, paced, retried, never stalled by
another channel.

A row is marked sent with the platform's message id only after `send` returned it. If that
marking fails (a full disk, a database locked too long), the accepted message id is kept in
memory and only the marking is retried, with backoff, until it is written: the platform is
never sent the same row again meanwhile. Faults:
`RetryLater` waits as long as the platform asked; `TransientFailure` (and a send that outlives
its timeout) backs off exponentially; `ChannelGone` pauses the channel after
`gone_pause_after` answers in a row; `Rejected` (the platform refuses this message for good),
like a sender that keeps raising something unexpected (`reject_after` attempts), sets the row
aside as cancelled so it cannot stall the channel. A channel's next row never goes out before
its previous one was accepted or set aside, so each channel sees its alerts in the order they
were written.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from bot.alerts.channels import (
    AlertSender,
    ChannelGone,
    ChannelRef,
    Rejected,
    RetryLater,
    TransientFailure,
)
from bot.alerts.model import PendingAlert, Variant
from bot.alerts.pacing import DEFAULT_LIMITS, PlatformLimits, RateWindow
from bot.alerts.serialize import reply_from_json
from bot.pictures.files import card_drawing
from bot.pictures.worker import draw_attachments
from bot.replies import Attachment, Reply
from bot.storage import Alerts, Records, Store, Transaction
from bot.tally import Tally, compute_tally, reading_day

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryPolicy:
    send_timeout: float = 10.0
    """Seconds one send may take before it counts as a transient failure."""
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    gone_pause_after: int = 3
    """'Channel gone' answers in a row before the channel is paused."""
    reject_after: int = 5
    """Failed attempts at one row, the last an unexpected error from the sender (a bug, not a
    platform answer), after which the row is set aside like a rejected one."""
    max_in_flight: int = 64
    """Sends in progress at once on one platform."""
    run_attempts: int = 6
    """In a one-off run (`dispatch --once`), failed sends per channel before leaving the rest
    of that channel for the next run."""
    limits: Mapping[str, PlatformLimits] = field(default_factory=lambda: dict(DEFAULT_LIMITS))

    def backoff(self, failures: int) -> float:
        """1, 2, 4, 8... seconds (times backoff_base), capped, with jitter against herds."""
        delay = min(self.backoff_base * 2.0 ** max(failures - 1, 0), self.backoff_max)
        return delay * random.uniform(0.8, 1.0)


@dataclass
class _Worker:
    channel: ChannelRef
    kick: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    rejected: int = 0
    """Rows set aside as undeliverable (cancelled, last_error 'rejected...')."""
    paused: list[ChannelRef] = field(default_factory=list)
    left_pending: list[ChannelRef] = field(default_factory=list)


class Deliverer:
    def __init__(
        self,
        store: Store,
        senders: Mapping[str, AlertSender],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.store = store
        self.senders = dict(senders)
        self.clock = clock
        self.policy = policy or DeliveryPolicy()
        self.stats = DeliveryStats()
        self._workers: dict[ChannelRef, _Worker] = {}
        self._channel_windows: dict[ChannelRef, RateWindow] = {}
        self._platform_windows: dict[str, RateWindow | None] = {}
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        self._wake = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._one_off = False
        self._given_up: set[ChannelRef] = set()
        self._stopping = False
        self._warned: set[str] = set()
        self._cards: dict[int, Attachment] = {}
        """Cards drawn for milestone rows not yet delivered: outbox id -> PNG."""
        self._accepted: dict[int, str] = {}
        """Rows a platform accepted that are not yet marked sent: outbox id -> message id."""

    # lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Serve wake-ups until stopped (inside the running loop)."""
        if self._pump_task is None:
            self._pump_task = asyncio.create_task(self._pump(), name="alerts-pump")

    def wake(self) -> None:
        """Look for due rows now (a declaration was recorded, or the safety-net interval)."""
        self._wake.set()

    async def stop(self, grace: float | None = None) -> None:
        """Let sends in progress finish (up to `grace` seconds), then cancel what is left."""
        self._stopping = True
        if self._pump_task:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
            self._pump_task = None
        tasks = [w.task for w in self._workers.values() if w.task]
        if tasks:
            grace = self.policy.send_timeout if grace is None else grace
            _, left = await asyncio.wait(tasks, timeout=grace)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    async def drain(self) -> DeliveryStats:
        """Deliver everything due, then return (`tallybot dispatch --once`): a channel that
        keeps failing is left pending after `run_attempts` failures, not retried forever."""
        self._one_off = True
        while True:
            await self._scan()
            tasks = [w.task for w in self._workers.values() if w.task]
            if not tasks:
                break
            await asyncio.gather(*tasks, return_exceptions=True)
        self.stats.left_pending = sorted(self._given_up, key=lambda c: (c.platform, c.channel))
        return self.stats

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    # scanning -------------------------------------------------------------------

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._scan()
            except Exception:
                log.exception("alert scan failed; the next wake-up retries")

    async def _scan(self) -> None:
        heads = await self._db(lambda alerts: alerts.due_heads(), write=False)
        for head in heads:
            channel = head.channel
            if channel.platform not in self.senders:
                if channel.platform not in self._warned:
                    self._warned.add(channel.platform)
                    log.warning("alerts for %s are waiting: no sender running", channel.platform)
                continue
            if channel in self._given_up or self._stopping:
                continue
            worker = self._workers.get(channel)
            if worker is not None:
                worker.kick.set()
                continue
            worker = _Worker(channel)
            self._workers[channel] = worker
            worker.task = asyncio.create_task(self._work(worker, head), name=f"alerts-{channel}")

    # one channel ------------------------------------------------------------------

    async def _work(self, worker: _Worker, head: PendingAlert | None = None) -> None:
        """Deliver the channel's rows one after the other until none is left."""
        channel = worker.channel
        failures = 0
        try:
            while not self._stopping:
                worker.kick.clear()
                row: PendingAlert | None
                if head is not None:
                    row, head = head, None  # read by the scan: saves a query per channel
                else:
                    row = await self._db(lambda alerts: alerts.next_pending(channel), write=False)
                if row is None:
                    if worker.kick.is_set():
                        continue
                    return
                outcome = await self._deliver(row)
                if outcome in ("sent", "rejected"):
                    failures = 0
                    continue
                failures += 1
                if outcome == "paused":
                    return
                if self._one_off and failures >= self.policy.run_attempts:
                    self._given_up.add(channel)
                    log.warning("alerts to %s left pending after %d failures", channel, failures)
                    return
                if outcome != "retry-later":
                    await asyncio.sleep(self.policy.backoff(failures))
        except Exception:
            log.exception("alert worker for %s failed; the next wake-up restarts it", channel)
        finally:
            if self._workers.get(channel) is worker:
                del self._workers[channel]

    async def _deliver(self, row: PendingAlert) -> str:
        accepted = self._accepted.get(row.id)
        if accepted is not None:
            return await self._mark_sent(row, accepted)  # sent already: never send it twice
        channel = row.channel
        sender = self.senders[channel.platform]
        reply = reply_from_json(row.reply_json)
        if row.cards and row.variant is Variant.MILESTONE:
            reply = await self._with_card(row, reply)
        try:
            # The channel's own pace first (a 429's wait too), holding nothing shared; then a
            # platform-wide slot that is used at once, so no queue forms behind it.
            await self._channel_window(channel).wait()
            async with self._platform_slots(channel.platform):
                await self._platform_pace(channel.platform)
                async with asyncio.timeout(self.policy.send_timeout):
                    message_id = await sender.send(channel, reply, key=f"tally-{row.id}")
        except RetryLater as exc:
            wait = max(float(exc.retry_after), 0.0)
            self._channel_window(channel).hold(asyncio.get_running_loop().time(), wait)
            await self._record_failure(row, f"rate limited: retry after {wait:g}s")
            self.stats.retried += 1
            return "retry-later"
        except ChannelGone as exc:
            reason = str(exc) or "channel gone"
            state = await self._db(
                lambda alerts: alerts.record_gone(
                    channel, reason, self.clock(), self.policy.gone_pause_after
                )
            )
            await self._record_failure(row, f"channel gone: {reason}")
            if state.paused:
                self.stats.paused.append(channel)
                log.warning("alerts to %s paused: %s", channel, reason)
                return "paused"
            return "gone"
        except TimeoutError:
            await self._record_failure(row, f"timed out after {self.policy.send_timeout:g}s")
            self.stats.retried += 1
            return "failed"
        except TransientFailure as exc:
            await self._record_failure(row, f"transient: {exc}")
            self.stats.retried += 1
            return "failed"
        except Rejected as exc:
            await self._set_aside(row, f"rejected by {channel.platform}: {exc}")
            return "rejected"
        except Exception as exc:  # a sender bug must not stop the channel for good
            log.exception("sending alert %d to %s failed", row.id, channel)
            attempts = row.attempts + 1
            if attempts >= self.policy.reject_after:
                await self._set_aside(
                    row,
                    f"rejected after {attempts} attempts: the {channel.platform} sender raised "
                    f"{type(exc).__name__}",
                )
                return "rejected"
            await self._record_failure(row, f"error: {type(exc).__name__}")
            return "failed"
        self._accepted[row.id] = str(message_id)
        return await self._mark_sent(row, str(message_id))

    async def _mark_sent(self, row: PendingAlert, message_id: str) -> str:
        """Record what the platform accepted; on failure keep it to retry the marking alone."""
        try:
            await self._db(lambda alerts: alerts.mark_sent(row.id, message_id, self.clock()))
        except Exception as exc:
            log.warning(
                "alert %d to %s was accepted (message %s) but could not be marked sent: %s; "
                "retrying the marking only",
                row.id,
                row.channel,
                message_id,
                exc,
            )
            return "unmarked"
        del self._accepted[row.id]
        self.stats.sent += 1
        return "sent"

    async def _platform_pace(self, platform: str) -> None:
        if platform not in self._platform_windows:
            limits = self.policy.limits.get(platform)
            self._platform_windows[platform] = limits.platform_window() if limits else None
        window = self._platform_windows[platform]
        if window is not None:
            await window.wait()

    def _platform_slots(self, platform: str) -> asyncio.Semaphore:
        """Sends in progress per platform: one slow platform never holds up another."""
        slots = self._in_flight.get(platform)
        if slots is None:
            slots = self._in_flight[platform] = asyncio.Semaphore(self.policy.max_in_flight)
        return slots

    def _channel_window(self, channel: ChannelRef) -> RateWindow:
        window = self._channel_windows.get(channel)
        if window is None:
            limits = self.policy.limits.get(channel.platform)
            window = limits.channel_window() if limits else RateWindow(1, 1.0)
            self._channel_windows[channel] = window
        return window

    async def _set_aside(self, row: PendingAlert, error: str) -> None:
        """Never retried: cancelled with the reason, counted in /tally subscriptions."""
        log.warning("alert %d to %s set aside: %s", row.id, row.channel, error)
        await self._db(lambda alerts: alerts.set_aside(row.id, error, self.clock()))
        self.stats.rejected += 1

    async def _record_failure(self, row: PendingAlert, error: str) -> None:
        log.info("alert %d to %s not delivered: %s", row.id, row.channel, error)
        await self._db(lambda alerts: alerts.record_failure(row.id, error, self.clock()))

    async def _with_card(self, row: PendingAlert, reply: Reply) -> Reply:
        """The milestone with the tally card of the day it was recorded. A card that cannot
        be drawn is logged and left out: the alert itself still goes."""
        card = self._cards.get(row.id)
        if card is None:
            try:
                tally = await self.store.run(lambda tx: _card_tally(tx.records, row), write=False)
                if tally is None:
                    return reply
                drawn = await draw_attachments(Reply(title="", drawings=(card_drawing(tally),)))
                card = drawn.attachments[0]
            except Exception:
                log.exception("the card for alert %s could not be drawn; sent without it", row.id)
                return reply
            if len(self._cards) >= CARD_CACHE:
                self._cards.clear()
            self._cards[row.id] = card  # a retry sends the same picture, drawn once
        return dataclasses.replace(reply, attachments=(card,))

    async def _db(self, work: Callable[[Alerts], T], *, write: bool = True) -> T:
        def run(tx: Transaction) -> T:
            return work(tx.alerts)

        return await self.store.run(run, write=write)


CARD_CACHE = 256
"""Cards kept for rows awaiting a retry; past it the cache starts again (cards are redrawn)."""


def _card_tally(repo: Records, row: PendingAlert) -> Tally | None:
    """The tally the milestone announced: its tracker on the day the change was recorded."""
    if row.tracker_id is None or row.recorded_at is None:
        return None
    tracker = repo.tracker_by_id(row.tracker_id)
    day = reading_day(tracker, None, row.recorded_at.date())
    if day < tracker.opened:
        return None
    return compute_tally(tracker, repo.body(tracker.body), day, repo.positions(tracker, day))
