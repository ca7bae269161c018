"""Delivering the outbox: one worker per channel, in order, paced, retried, never stalled by
another channel, and one worker per channel across every process on the database.

Any number of processes deliver the same outbox. A worker sends to a channel only under a
lease on it, claimed in the store (store/claims.py), renewed while it works, released once the
channel has nothing due; a process killed mid-send stops renewing and its channels are taken
over when their leases run out. A send starts only while its lease has more than the send
timeout left, so two processes never send to one channel at once. The channel's pace (its
recent sends, a 429's hold) is written beside the lease, so the next holder keeps the
platform's per-channel rate; the per-platform rate is paced per process.

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
import os
import random
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.alerts.channels import (
    AlertSender,
    ChannelGone,
    ChannelRef,
    Rejected,
    RetryLater,
    TransientFailure,
)
from bot.alerts.model import ChannelClaim, PendingAlert, Variant
from bot.alerts.pacing import DEFAULT_LIMITS, PlatformLimits, RateWindow
from bot.alerts.serialize import reply_from_json
from bot.errors import Busy
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
    lease: float = 30.0
    """Seconds a claimed channel stays this process's without a renewal: how long a killed
    deliverer's channels wait before another process takes them over."""
    max_channels: int = 256
    """Channels of one platform one process holds at once, so a fan-out is shared between
    processes."""
    claim_batch: int = 32
    """Channels claimed per transaction; a full batch claims again at once, so processes
    woken by the same commit take turns and share a fan-out."""
    watch_every: float = 0.2
    """Seconds between looks at the store's version (a commit by another process wakes
    delivery here within this, plus the time to claim); 0: never (only the sweep)."""

    def backoff(self, failures: int) -> float:
        """1, 2, 4, 8... seconds (times backoff_base), capped, with jitter against herds."""
        delay = min(self.backoff_base * 2.0 ** max(failures - 1, 0), self.backoff_max)
        return delay * random.uniform(0.8, 1.0)

    @property
    def lease_margin(self) -> float:
        """A send starts only with this much of its lease left: it ends (or times out) before
        the lease can run out and another process take the channel over. A lease shorter than
        twice (send_timeout + 2 s) keeps half of itself instead (tests' short leases)."""
        return min(self.send_timeout + 2.0, self.lease / 2)


@dataclass
class _Worker:
    channel: ChannelRef
    head: PendingAlert | None = None
    """The next row to send, when already read (by the claim, or with the last marking)."""
    task: asyncio.Task[None] | None = None
    lost: bool = False
    """The lease ran out unrenewed and another deliverer may hold the channel: send nothing."""
    released: bool = False
    """Given back (drained) in the transaction that marked its last row sent."""
    unmarked: bool = False
    """A row the platform accepted is not yet marked sent: the channel is never given back
    then (another holder would send that row again)."""


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    rejected: int = 0
    """Rows set aside as undeliverable (cancelled, last_error 'rejected...')."""
    paused: list[ChannelRef] = field(default_factory=list)
    left_pending: list[ChannelRef] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class Deliverer:
    """Delivers the outbox from this process, alongside any number of others on the same
    database: a channel is worked only under a lease claimed in the store (store/claims.py)."""

    def __init__(
        self,
        store: Store,
        senders: Mapping[str, AlertSender],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy | None = None,
        wall: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.senders = dict(senders)
        self.clock = clock
        self.wall = wall
        """The real time, for leases and pacing shared with other processes (`clock` may be
        a test's frozen one: it only stamps what is written)."""
        self.policy = policy or DeliveryPolicy()
        self.stats = DeliveryStats()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        """This deliverer's name on the leases it holds."""
        self._workers: dict[ChannelRef, _Worker] = {}
        self._leases: dict[ChannelRef, datetime] = {}
        """Channels this deliverer holds, with when their lease runs out."""
        self._channel_windows: dict[ChannelRef, RateWindow] = {}
        self._platform_windows: dict[str, RateWindow | None] = {}
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        self._wake = asyncio.Event()
        self._renewal = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._rescan: asyncio.TimerHandle | None = None
        self._one_off = False
        self._given_up: set[ChannelRef] = set()
        self._stopping = False
        self._cards: dict[int, Attachment] = {}
        """Cards drawn for milestone rows not yet delivered: outbox id -> PNG."""
        self._accepted: dict[int, str] = {}
        """Rows a platform accepted that are not yet marked sent: outbox id -> message id."""

    # lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Serve wake-ups until stopped (inside the running loop): a commit in this process
        or another (the store's version moved), a lease that ran out, the safety-net sweep."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._pump(), name="alerts-pump"),
                asyncio.create_task(self._renewing(), name="alerts-leases"),
            ]
            if self.policy.watch_every > 0:
                self._tasks.append(asyncio.create_task(self._watch(), name="alerts-watch"))

    def wake(self) -> None:
        """Look for due rows now (a declaration was recorded, or the safety-net interval)."""
        self._wake.set()

    async def stop(self, grace: float | None = None) -> None:
        """Let sends in progress finish (up to `grace` seconds), cancel what is left, and give
        the channels still held back at once (no other process waits for their leases)."""
        self._stopping = True
        if self._rescan is not None:
            self._rescan.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        tasks = [w.task for w in self._workers.values() if w.task]
        if tasks:
            grace = self.policy.send_timeout if grace is None else grace
            _, left = await asyncio.wait(tasks, timeout=grace)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
        await self._release_all()

    async def drain(self) -> DeliveryStats:
        """Deliver everything due, then return (`tallybot dispatch --once`): a channel that
        keeps failing is left pending after `run_attempts` failures, not retried forever.
        Channels another live process holds are left to it."""
        self._one_off = True
        await self._db(lambda alerts: alerts.adopt_channels())
        renewing = asyncio.create_task(self._renewing())
        try:
            while True:
                self._wake.clear()
                await self._scan()
                if not self._workers:
                    break
                await self._wake.wait()  # a worker finished: claim more
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
            await self._release_all()
        self.stats.left_pending = sorted(self._given_up, key=lambda c: (c.platform, c.channel))
        return self.stats

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    # scanning and leases ----------------------------------------------------------

    async def _pump(self) -> None:
        try:
            await self._db(lambda alerts: alerts.adopt_channels())
            heads = await self._db(lambda alerts: alerts.due_heads(), write=False)
        except Exception:
            log.exception("reading the alert outbox at start failed; the next sweep retries")
        else:
            for platform in sorted({h.channel.platform for h in heads} - set(self.senders)):
                log.warning(
                    "alerts for %s are waiting: no sender for it in this process (another "
                    "process with one delivers them)",
                    platform,
                )
        failures = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._scan()
            except Exception as exc:
                failures += 1
                if failures == 1 and _busy(exc):
                    # Claims from several processes at once (PostgreSQL's serializable writers
                    # retried and gave up): expected under contention, no traceback.
                    log.warning("alert scan: %s; retrying with backoff", exc)
                elif failures == 1:
                    log.exception("alert scan failed; retrying with backoff")
                else:
                    log.debug("alert scan failed again (%d in a row)", failures, exc_info=True)
                # A store that is down moves its version on every look: do not spin on it.
                await asyncio.sleep(min(0.1 * 2.0**failures, 5.0))
                self.wake()
                continue
            if failures:
                log.info("alert scans work again after %d failures", failures)
                failures = 0

    async def _watch(self) -> None:
        """Wake when anyone commits: `Store.version` is cheap (a pragma on SQLite, a counter
        moved by NOTIFY on PostgreSQL), so it is asked a few times a second."""
        last = self.store.version()
        while True:
            await asyncio.sleep(self.policy.watch_every)
            try:
                version = self.store.version()
            except Exception:
                log.debug("reading the store version failed", exc_info=True)
                continue
            if version != last:
                last = version
                self.wake()

    async def _scan(self) -> None:
        if self._stopping:
            return
        platforms = sorted(self.senders)
        now = self.wall()
        holder = self.holder
        next_at = await self._db(
            lambda alerts: alerts.next_claim_at(holder, platforms, now), write=False
        )
        if next_at is None:
            return
        if next_at > now:
            self._wake_at(next_at, now)  # another holder's lease runs out then
            return
        until = now + timedelta(seconds=self.policy.lease)
        skip = frozenset(self._given_up)
        # Each platform its own room, so a slow platform never starves another.
        limits = {
            p: n
            for p in platforms
            if (n := min(self.policy.max_channels - self._working(p), self.policy.claim_batch)) > 0
        }
        if not limits:
            return  # a worker that finishes wakes the scan again

        def claim(alerts: Alerts) -> list[ChannelClaim]:
            return [
                c
                for platform, limit in limits.items()
                for c in alerts.claim_channels(holder, (platform,), now, until, limit, skip)
            ]

        claims = await self._db(claim)
        if any(sum(c.channel.platform == p for c in claims) == n for p, n in limits.items()):
            self.wake()  # a full batch: there may be more, claimed after this turn
        loop = asyncio.get_running_loop()
        for claim_ in claims:
            channel = claim_.channel
            self._leases[channel] = until
            self._channel_window(channel).absorb(claim_.pace, loop.time(), now.timestamp())
            if channel in self._workers:  # ours already (a renewal raced a release): keep it
                continue
            worker = _Worker(channel, claim_.head)
            self._workers[channel] = worker
            worker.task = asyncio.create_task(self._work(worker), name=f"alerts-{channel}")

    def _working(self, platform: str) -> int:
        return sum(1 for channel in self._workers if channel.platform == platform)

    def _wake_at(self, moment: datetime, now: datetime) -> None:
        if self._one_off:
            return
        if self._rescan is not None:
            self._rescan.cancel()
        delay = (moment - now).total_seconds() + 0.05
        self._rescan = asyncio.get_running_loop().call_later(delay, self.wake)

    async def _renewing(self) -> None:
        """Renew this deliverer's leases a few times per lease (all of them in one write)."""
        while True:
            await asyncio.sleep(self.policy.lease / 3)
            try:
                await self._renew()
            except Exception as exc:
                log.warning(
                    "renewing alert leases failed (%s); retrying", exc, exc_info=not _busy(exc)
                )

    async def _renew(self) -> None:
        # One renewal at a time per process: several at once (the renewal task and workers
        # short of lease time) update the same rows in different orders and deadlock on
        # PostgreSQL, each costing a second before the server breaks it.
        async with self._renewal:
            await self._renew_now()

    async def _renew_now(self) -> None:
        if not self._leases:
            return
        before = dict(self._leases)
        now = self.wall()
        until = now + timedelta(seconds=self.policy.lease)
        holder = self.holder
        held = set(await self._db(lambda alerts: alerts.renew_leases(holder, now, until)))
        for channel, deadline in before.items():
            if self._leases.get(channel) is not deadline:
                continue  # released or claimed again meanwhile: that answer counts
            if channel in held:
                self._leases[channel] = until
                continue
            del self._leases[channel]
            worker = self._workers.get(channel)
            if worker is not None:
                worker.lost = True
                log.warning("alerts to %s: lease lost (not renewed in time); stopping", channel)

    async def _still_held(self, worker: _Worker) -> bool:
        """Whether the channel's lease has room for one more send (renewed now if short)."""
        margin = timedelta(seconds=self.policy.lease_margin)
        deadline = self._leases.get(worker.channel)
        if not worker.lost and deadline is not None and deadline - self.wall() > margin:
            return True
        if not worker.lost:
            with contextlib.suppress(Exception):
                await self._renew()
        deadline = self._leases.get(worker.channel)
        held = not worker.lost and deadline is not None and deadline - self.wall() > margin
        if not held:
            worker.lost = True
        return held

    async def _release(self, channel: ChannelRef, *, drained_only: bool) -> bool:
        """Give the channel up (unless, with `drained_only`, a row became due again)."""
        pace = self._pace(channel)
        holder = self.holder
        released = await self._db(
            lambda alerts: alerts.release_channel(holder, channel, pace, drained_only=drained_only)
        )
        if released:
            self._leases.pop(channel, None)
        return released

    async def _release_all(self) -> None:
        for channel in list(self._leases):
            try:
                await self._release(channel, drained_only=False)
            except Exception:
                log.warning("releasing %s failed; its lease runs out instead", channel)
                self._leases.pop(channel, None)

    def _pace(self, channel: ChannelRef) -> str | None:
        window = self._channel_windows.get(channel)
        if window is None:
            return None
        return window.to_pace(asyncio.get_running_loop().time(), self.wall().timestamp())

    # one channel ------------------------------------------------------------------

    async def _work(self, worker: _Worker) -> None:
        """Deliver the channel's rows one after the other until none is left, then release it."""
        channel = worker.channel
        failures = 0
        away = 0
        released = False
        try:
            while not self._stopping and not worker.lost:
                row, worker.head = worker.head, None
                try:
                    if row is None:
                        row = await self._db(
                            lambda alerts: alerts.next_pending(channel), write=False
                        )
                    if row is None:
                        released = await self._release(channel, drained_only=True)
                        if released:
                            return
                        continue  # a row came in meanwhile: the channel stays ours
                    outcome = await self._deliver(row, worker)
                except Busy as exc:
                    # The database is away (a network cut, a restart): keep the channel and
                    # try again, while the lease lasts; a row the platform accepted meanwhile
                    # is remembered and only its marking is retried. Its own count of tries,
                    # a short wait: the database is back in seconds, not a platform's minutes.
                    away += 1
                    if away == 1:
                        log.warning("alerts to %s: %s; retrying", channel, exc)
                    await asyncio.sleep(min(self.policy.backoff(away), DATABASE_RETRY_MAX))
                    continue
                away = 0
                if worker.released:
                    released = True
                    self._leases.pop(channel, None)
                    return
                if outcome in ("sent", "rejected"):
                    failures = 0
                    continue
                if outcome == "lost":
                    return
                failures += 1
                if outcome == "paused":
                    return
                if self._one_off and failures >= self.policy.run_attempts:
                    self._given_up.add(channel)
                    log.warning("alerts to %s left pending after %d failures", channel, failures)
                    return
                if outcome == "unmarked":  # the database, not the platform: retry it soon
                    await asyncio.sleep(min(self.policy.backoff(failures), DATABASE_RETRY_MAX))
                elif outcome != "retry-later":
                    await asyncio.sleep(self.policy.backoff(failures))
        except Exception as exc:
            log.warning(
                "alert worker for %s failed (%s); the next wake-up restarts it",
                channel,
                exc,
                exc_info=not _busy(exc),
            )
        finally:
            if self._workers.get(channel) is worker:
                del self._workers[channel]
            # Still ours as far as this process knows (also when the worker stopped for want
            # of lease time: left as it is, the renewals would keep it ours and unworked).
            if not released and not worker.unmarked and channel in self._leases:
                try:
                    await self._release(channel, drained_only=False)
                except (Exception, asyncio.CancelledError):
                    log.warning("releasing %s failed; its lease runs out instead", channel)
            room = self.policy.max_channels - self._working(channel.platform)
            if room >= self.policy.claim_batch or not self._workers or self._one_off:
                self.wake()  # room for a batch: claim more (not one channel at a time)

    async def _deliver(self, row: PendingAlert, worker: _Worker) -> str:
        accepted = self._accepted.get(row.id)
        if accepted is not None:
            return await self._mark_sent(row, accepted, worker)  # sent: never send it twice
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
                if not await self._still_held(worker):
                    return "lost"  # another process may hold the channel now: never send
                async with asyncio.timeout(self.policy.send_timeout):
                    message_id = await sender.send(channel, reply, key=f"tally-{row.id}")
        except RetryLater as exc:
            wait = max(float(exc.retry_after), 0.0)
            self._channel_window(channel).hold(asyncio.get_running_loop().time(), wait)
            await self._record_failure(row, f"rate limited: retry after {wait:g}s", pace=True)
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
        return await self._mark_sent(row, str(message_id), worker)

    async def _mark_sent(self, row: PendingAlert, message_id: str, worker: _Worker) -> str:
        """Record what the platform accepted; on failure keep it to retry the marking alone.

        The same transaction reads the channel's next row and, if there is none, gives the
        channel back: one write per alert in a fan-out."""
        pace, holder, now, channel = self._pace(row.channel), self.holder, self.clock(), row.channel

        def mark(alerts: Alerts) -> tuple[PendingAlert | None, bool]:
            alerts.mark_sent(row.id, message_id, now)
            if pace is not None:
                alerts.note_pace(holder, channel, pace)
            after = alerts.next_pending(channel)
            return after, after is None and alerts.release_channel(holder, channel, pace)

        try:
            worker.head, worker.released = await self._db(mark)
        except Exception as exc:
            worker.unmarked = True
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
        worker.unmarked = False
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

    async def _record_failure(self, row: PendingAlert, error: str, *, pace: bool = False) -> None:
        """Count the attempt; with `pace`, leave the channel's hold (a 429) for any process."""
        log.info("alert %d to %s not delivered: %s", row.id, row.channel, error)
        paced, holder, now = self._pace(row.channel) if pace else None, self.holder, self.clock()

        def note(alerts: Alerts) -> None:
            alerts.record_failure(row.id, error, now)
            if paced is not None:
                alerts.note_pace(holder, row.channel, paced)

        await self._db(note)

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

        return await self.store.run(run, write=write, queue=write)


def _busy(exc: Exception) -> bool:
    """The store's "other writers kept it busy" refusal: contention, not a bug to trace."""
    return isinstance(exc, Busy)


DATABASE_RETRY_MAX = 5.0
"""Longest wait between a worker's tries while the database is away (a platform's failures
back off for up to backoff_max instead)."""
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
