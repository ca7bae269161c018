"""Leases on alert channels: one deliverer per channel across processes on one database.

The store-level tests drive claims with explicit times (claim, renew, expiry, takeover,
release); the delivery tests run two deliverers on two connections to the same database (what
two processes are to the store) and check every alert goes out once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.channels import AlertSender, ChannelRef
from bot.alerts.delivery import Deliverer
from bot.alerts.model import ChannelClaim
from bot.alerts.scheduler import AlertScheduler
from bot.app import Core
from bot.settings import Settings
from store.thread import as_sqlite
from tallybot.wiring import open_core
from tests.alerts.conftest import (
    ENGINES,
    FAST,
    LITHUANIA,
    Run,
    assert_ledger,
    discord_mod,
    on_engine,
    slack_mod,
    slack_titles,
    until,
)
from tests.conftest import Clock
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
SLACK = ("slack",)
ESTONIA = 'declare EE support rutte quote="Estonia backs him again" date=2024-04-03'


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """Every test here on SQLite and on PostgreSQL."""
    with on_engine(request.param, settings) as chosen:
        yield chosen


def ref(channel: str) -> ChannelRef:
    return ChannelRef("slack", "T0TEST", channel)


@pytest.fixture
async def other(settings: Settings, clock: Clock) -> AsyncIterator[Core]:
    """A second core on the same database: its own connection and store thread, as another
    process has."""
    core = open_core(settings, clock)
    yield core
    core.close()


async def _subscribe_and_declare(run_as: Run, channels: list[str]) -> None:
    for channel in channels:
        await run_as("/tally subscribe nato-sg-2024", slack_mod(channel))
    await run_as(LITHUANIA)


async def test_a_claimed_channel_is_nobody_elses_until_its_lease_runs_out(
    demo: Core, run_as: Run
) -> None:
    await _subscribe_and_declare(run_as, ["CA", "CB"])
    store = demo.store

    a = await store.run(lambda tx: tx.alerts.claim_channels("A", SLACK, T0, T0 + LEASE, 10))
    assert [c.channel for c in a] == [ref("CA"), ref("CB")]  # oldest alert first
    # B finds nothing to claim, and learns when A's leases run out.
    b = await store.run(lambda tx: tx.alerts.claim_channels("B", SLACK, T0, T0 + LEASE, 10))
    assert b == []
    next_at = await store.run(lambda tx: tx.alerts.next_claim_at("B", SLACK, T0), write=False)
    assert next_at == T0 + LEASE
    # A renews 20 s on: both stay A's past the first expiry.
    later = T0 + timedelta(seconds=20)
    held = await store.run(lambda tx: tx.alerts.renew_leases("A", later, later + LEASE))
    assert sorted(c.channel for c in held) == ["CA", "CB"]
    b = await store.run(lambda tx: tx.alerts.claim_channels("B", SLACK, T0 + LEASE, T0, 10))
    assert b == []  # the renewal moved the expiry past T0 + LEASE

    # A dies (renews no more): once the lease ran out, B takes both channels over.
    expired = later + LEASE + timedelta(microseconds=1)
    b = await store.run(
        lambda tx: tx.alerts.claim_channels("B", SLACK, expired, expired + LEASE, 10)
    )
    assert [c.channel for c in b] == [ref("CA"), ref("CB")]
    # A, back from the dead, renews nothing: it must not send.
    assert await store.run(lambda tx: tx.alerts.renew_leases("A", expired, expired + LEASE)) == []
    # Nor can it release B's channels.
    await store.run(lambda tx: tx.alerts.release_channel("A", ref("CA"), None, drained_only=False))
    assert await store.run(lambda tx: tx.alerts.claim_channels("C", SLACK, expired, T0, 10)) == []


async def test_a_claim_takes_only_what_it_may(demo: Core, run_as: Run) -> None:
    """Up to the limit, only the platforms it can send to, never a paused or skipped
    channel, never one without a due row."""
    await run_as("/tally subscribe nato-sg-2024", discord_mod("700"))
    await _subscribe_and_declare(run_as, ["CA", "CB", "CC", "CQUIET"])
    await demo.store.run(
        lambda tx: tx.alerts.record_gone(ref("CC"), "channel_not_found", T0, pause_after=1)
    )
    # CQUIET's alert went out already (another run): it has a lease row and nothing due.
    [quiet] = [
        r
        for r in await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
        if r["channel"] == "CQUIET"
    ]
    await demo.store.run(lambda tx: tx.alerts.mark_sent(quiet["id"], "1.1", T0))

    def claim(
        platforms: tuple[str, ...], limit: int, skip: frozenset[ChannelRef] = frozenset()
    ) -> Awaitable[list[ChannelClaim]]:
        return demo.store.run(
            lambda tx: tx.alerts.claim_channels("A", platforms, T0, T0 + LEASE, limit, skip)
        )

    assert [c.channel.channel for c in await claim(SLACK, 1, frozenset({ref("CA")}))] == ["CB"]
    assert [c.channel.channel for c in await claim(SLACK, 10)] == ["CA"]  # CB is A's already
    assert [c.channel.channel for c in await claim(("discord",), 10)] == ["700"]
    assert await claim(("slack", "discord"), 10) == []


async def test_release_keeps_a_channel_with_a_new_row_and_leaves_its_pace(
    demo: Core, run_as: Run
) -> None:
    await _subscribe_and_declare(run_as, ["CA"])
    [claim] = await demo.store.run(
        lambda tx: tx.alerts.claim_channels("A", SLACK, T0, T0 + LEASE, 10)
    )
    assert claim.pace is None
    # A row is due: a release "when drained" keeps the channel.
    kept = await demo.store.run(lambda tx: tx.alerts.release_channel("A", ref("CA"), None))
    assert kept is False
    for row in await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox()):
        await demo.store.run(lambda tx, r=row: tx.alerts.mark_sent(r["id"], "1.1", T0))
    pace = '{"sends": [1764072000.0], "hold": null}'
    released = await demo.store.run(lambda tx: tx.alerts.release_channel("A", ref("CA"), pace))
    assert released is True
    # The next alert: B claims the channel at once, with the pace A left.
    await run_as(ESTONIA)
    [taken] = await demo.store.run(
        lambda tx: tx.alerts.claim_channels("B", SLACK, T0, T0 + LEASE, 10)
    )
    assert taken.pace == pace


async def test_two_deliverers_on_one_database_send_each_alert_once_in_order(
    demo: Core,
    other: Core,
    run_as: Run,
    senders: dict[str, AlertSender],
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
) -> None:
    channels = [f"C{n:02d}" for n in range(30)]
    for n in range(10):
        await run_as("/tally subscribe nato-sg-2024", discord_mod(str(900 + n)))
    await _subscribe_and_declare(run_as, channels)
    await run_as(ESTONIA)
    policy = replace(FAST, max_channels=8)  # each holds a few channels at a time: they share
    first = Deliverer(demo.store, senders, demo.dispatcher.clock, policy)
    second = Deliverer(other.store, senders, other.dispatcher.clock, policy)
    one, two = await asyncio.gather(first.drain(), second.drain())

    rows = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert len(rows) == 2 * 40
    assert_ledger(rows, fake_slack, fake_discord)  # all sent, none twice, each channel in order
    assert one.sent + two.sent == len(rows)
    assert one.sent > 0 and two.sent > 0, (one.sent, two.sent)
    for channel in channels:
        assert ["Lithuania" in t for t in slack_titles(fake_slack, channel)] == [True, False]
    leases = await demo.store.run(
        lambda tx: (
            as_sqlite(tx)
            .records.db.execute("SELECT count(*) FROM alert_leases WHERE holder IS NOT NULL")
            .fetchone()[0]
        )
    )
    assert leases == 0  # every channel given back when drained


async def test_a_deliverer_whose_lease_was_taken_over_sends_nothing(
    demo: Core,
    other: Core,
    run_as: Run,
    senders: dict[str, AlertSender],
    fake_slack: FakeSlackApi,
) -> None:
    """Frozen (a long GC pause, a suspended VM) past its lease: another process took the
    channel over. Before its next send the stalled deliverer finds the lease gone and stops."""
    await _subscribe_and_declare(run_as, ["CSTALL"])
    wall = Clock(T0)
    stalled = Deliverer(demo.store, senders, demo.dispatcher.clock, FAST, wall=wall)
    taken: list[object] = []

    def freeze_then_lose_the_lease(channel: str) -> None:
        """At the first post (answered 429, retry in 0.5 s): 40 s pass on the wall clock and
        another holder claims the channel meanwhile."""
        fake_slack.before_post = None
        wall.now = T0 + timedelta(seconds=40)
        # Claimed before the stalled deliverer runs again (blocking the loop on purpose): once
        # its lease ran out it could claim the free channel itself, a fair outcome but not the
        # one under test.
        taken.append(
            other.store.run_blocking(
                lambda tx: tx.alerts.claim_channels("OTHER", SLACK, wall.now, wall.now + LEASE, 10)
            )
        )

    fake_slack.fault("CSTALL", "ratelimit", times=1, retry_after=0.5)
    fake_slack.before_post = freeze_then_lose_the_lease
    stats = await stalled.drain()

    [claim] = taken[0]  # type: ignore[misc]
    assert claim.channel == ref("CSTALL")
    assert fake_slack.messages_in("CSTALL") == []  # the stalled one never sent again
    assert stats.sent == 0
    [row] = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert row["status"] == "pending"  # left to the new holder
    holder = await demo.store.run(
        lambda tx: (
            as_sqlite(tx)
            .records.db.execute("SELECT holder FROM alert_leases WHERE channel = 'CSTALL'")
            .fetchone()[0]
        )
    )
    assert holder == "OTHER"


async def test_two_schedulers_on_one_database_write_one_digest(
    demo: Core,
    other: Core,
    run_as: Run,
    senders: dict[str, AlertSender],
    fake_slack: FakeSlackApi,
    clock: Clock,
) -> None:
    """Every process runs the digest jobs; the digest's unique key lets one write it."""
    clock.now = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    await run_as("/tally subscribe nato-sg-2024 mode=digest at=09:00", slack_mod("CDAILY"))
    clock.now = datetime(2026, 11, 20, 9, 1, tzinfo=UTC)
    here = AlertScheduler(demo.store, senders, demo.dispatcher.clock, FAST)
    there = AlertScheduler(other.store, senders, other.dispatcher.clock, FAST)
    [sub] = await demo.store.run(lambda tx: tx.alerts.digest_subscriptions(), write=False)
    await asyncio.gather(
        here.catch_up_digests(),
        there.catch_up_digests(),
        here.digest_job(sub.id),
        there.digest_job(sub.id),
    )
    await asyncio.gather(here.run_once(), there.run_once())
    assert len(fake_slack.messages_in("CDAILY")) == 1
    rows = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert [(r["variant"], r["status"]) for r in rows] == [("digest", "sent")]


async def test_a_stopped_deliverer_gives_its_channels_back_at_once(
    demo: Core,
    run_as: Run,
    senders: dict[str, AlertSender],
    fake_slack: FakeSlackApi,
) -> None:
    """SIGTERM's path: a send that hangs is cut short, and the channel is free for another
    process at once (not after the lease)."""
    await _subscribe_and_declare(run_as, ["CHANG"])
    fake_slack.fault("CHANG", "hang")
    deliverer = Deliverer(demo.store, senders, demo.dispatcher.clock, FAST)
    deliverer.start()
    deliverer.wake()
    await until(lambda: bool(fake_slack.calls("chat.postMessage")))  # the send hangs
    await deliverer.stop(grace=0.1)

    now = datetime.now(UTC)
    taken = await demo.store.run(
        lambda tx: tx.alerts.claim_channels("NEXT", SLACK, now, now + LEASE, 10)
    )
    assert [c.channel for c in taken] == [ref("CHANG")]
    [row] = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert row["status"] == "pending"
