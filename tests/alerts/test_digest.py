"""A digest fires at its channel's time, by the scheduler's own cron job, on a controllable
clock (APScheduler reads the same settable 'now' as the core); none is skipped over a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

import apscheduler.schedulers.base
import pytest

from bot.alerts.channels import AlertSender
from bot.alerts.scheduler import AlertScheduler
from bot.alerts.serialize import reply_from_json
from bot.app import Core
from bot.replies import Reply
from store.thread import as_sqlite
from tests.alerts.conftest import FAST, LITHUANIA, Run, slack_mod, slack_titles, until
from tests.conftest import Clock
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def scheduler_clock(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """APScheduler asks `datetime.now(tz)`: answer from the test clock."""

    class ClockedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return clock.now.astimezone(tz) if tz else clock.now

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", ClockedDatetime)
    yield clock


async def _tick(scheduler: AlertScheduler) -> None:
    """Make APScheduler look at its jobs now (its wake-up runs on the next loop turn)."""
    assert scheduler.scheduler is not None
    scheduler.scheduler.wakeup()
    await asyncio.sleep(0)


async def _digests(core: Core) -> list[dict[str, object]]:
    rows = await core.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    return [r for r in rows if r["variant"] == "digest"]


async def test_a_digest_fires_at_its_time_and_once(
    demo: Core,
    run_as: Run,
    senders: dict[str, AlertSender],
    fake_slack: FakeSlackApi,
    scheduler_clock: Clock,
) -> None:
    scheduler_clock.now = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)  # 07:30 in Brussels
    await run_as(LITHUANIA)
    scheduler_clock.now += timedelta(minutes=10)
    await run_as(
        "/tally subscribe nato-sg-2024 mode=digest at=08:00 tz=europe/brussels",
        slack_mod("CDAILY"),
    )
    scheduler = AlertScheduler(demo.store, senders, demo.dispatcher.clock, FAST)
    await scheduler.start(demo.dispatcher)
    try:
        subs = await demo.store.run(lambda tx: tx.alerts.digest_subscriptions())
        assert [s.tz for s in subs] == ["Europe/Brussels"]
        due = scheduler.next_digest(subs[0].id)
        assert due == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)

        scheduler_clock.now = datetime(2026, 11, 24, 6, 59, 59, tzinfo=UTC)
        await _tick(scheduler)
        assert scheduler.next_digest(subs[0].id) == due  # not fired a second early
        assert await _digests(demo) == []

        scheduler_clock.now = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
        await _tick(scheduler)
        await fake_slack.wait_for(lambda: bool(fake_slack.messages_in("CDAILY")))
        digest = fake_slack.messages_in("CDAILY")
        assert [m.text for m in digest] == [
            "⛔ Daily digest — NATO Secretary General 2024 — 2026-11-24"
        ]
        body = json.dumps(digest[0].blocks, ensure_ascii=False)
        assert "07:30 🇱🇹\u00a0Lithuania backs Mark Rutte" in body  # the day's change, local time
        assert "Mark Rutte: 28 of 32 support" in body  # and where things stand
        assert scheduler.next_digest(subs[0].id) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)

        scheduler_clock.now += timedelta(minutes=5)
        await _tick(scheduler)
        await until(lambda: not scheduler.deliverer.busy)
        assert len(await _digests(demo)) == 1  # once a day
        assert len(fake_slack.messages_in("CDAILY")) == 1
    finally:
        await scheduler.stop()

    # Nothing ran on the 25th at 08:00: the next start writes that digest and sends it.
    scheduler_clock.now = datetime(2026, 11, 25, 9, 15, tzinfo=UTC)
    await AlertScheduler(demo.store, senders, demo.dispatcher.clock, FAST).run_once()
    titles = slack_titles(fake_slack, "CDAILY")
    assert titles[1] == "⛔ Daily digest — NATO Secretary General 2024 — 2026-11-25"
    assert "No changes." in str(fake_slack.messages_in("CDAILY")[1].blocks)


async def _digest_events(core: Core) -> list[Reply]:
    def read(tx):  # type: ignore[no-untyped-def]
        repo = tx.records
        rows = repo.db.query("SELECT reply FROM alert_events WHERE kind = 'digest' ORDER BY id")
        return [reply_from_json(r["reply"]) for r in rows]

    return await core.store.run(read)


async def test_the_digest_after_downtime_covers_every_day_since_the_last_one(
    demo: Core,
    run_as: Run,
    senders: dict[str, AlertSender],
    fake_slack: FakeSlackApi,
    clock: Clock,
) -> None:
    """Down from 20 Nov (after Lithuania declared) to 23 Nov 10:00: the catch-up digest starts
    where the 20 Nov digest stopped, so Lithuania's change is not lost with the missed days."""

    async def dispatch_at(moment: datetime) -> None:
        clock.now = moment
        await AlertScheduler(demo.store, senders, demo.dispatcher.clock, FAST).run_once()

    clock.now = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    await run_as("/tally subscribe nato-sg-2024 mode=digest at=09:00", slack_mod("CDAILY"))
    await dispatch_at(datetime(2026, 11, 20, 9, 1, tzinfo=UTC))  # the 20 Nov digest
    clock.now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    await run_as(LITHUANIA)
    clock.now = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)  # recorded while alerts were down
    await run_as("declare SK support rutte date=2024-04-05")

    await dispatch_at(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # back: one catch-up digest
    messages = fake_slack.messages_in("CDAILY")
    assert [m.text.split(" — ")[-1] for m in messages] == ["2026-11-20", "2026-11-23"]
    catch_up = json.dumps(messages[1].blocks, ensure_ascii=False)
    assert "2 changes since 2026-11-20 09:00 (UTC)." in catch_up
    assert "15:00 🇱🇹\u00a0Lithuania backs Mark Rutte" in catch_up
    assert "11:00 🇸🇰\u00a0Slovakia backs Mark Rutte" in catch_up
    first, second = await _digest_events(demo)
    assert second.data["since"] == first.data["until"] == "2026-11-20T09:00:00+00:00"
    assert second.data["until"] == "2026-11-23T09:00:00+00:00"

    # A change between 09:00 and the late catch-up at 10:00 goes into the next digest.
    clock.now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    await run_as('declare EE support rutte quote="Estonia backs him again" date=2024-04-06')
    await dispatch_at(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    latest = fake_slack.messages_in("CDAILY")[-1]
    assert latest.text.endswith("2026-11-24")
    assert "since 2026-11-23 09:00 (UTC)." in json.dumps(latest.blocks, ensure_ascii=False)
    assert "09:30 🇪🇪\u00a0Estonia backs Mark Rutte" in json.dumps(latest.blocks, ensure_ascii=False)
    changes = (await _digest_events(demo))[-1].fields[0].items
    assert changes[0].startswith("09:30 🇪🇪\u00a0Estonia backs Mark Rutte")
    assert not [c for c in changes if "Lithuania" in c or "Slovakia" in c]  # sent on the 23rd
