"""The limits a public bot needs: each refused with a sentence naming the limit and its setting,
with nothing written; the write rate holds across processes (it is counted in the database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Core
from bot.commands.context import Actor
from bot.limits import Limits
from bot.settings import Settings, SettingsError
from store.thread import as_sqlite
from tallybot.wiring import open_core
from tests.conftest import OPERATOR, Clock, open_demo_core

MOD = Actor("slack", "T1", "U1", "Mo", platform_moderator=True, channel="C1")
OTHER = Actor("slack", "T1", "U2", "Ot", platform_moderator=True, channel="C1")
ELSEWHERE = Actor("discord", "G9", "U1", "Mo", platform_moderator=True, channel="C1")
SMALL = Limits(writes_per_minute=3, trackers=1, channel_subscriptions=1, workspace_subscriptions=2)


@pytest.fixture
async def demo(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    core = await open_demo_core(Settings(db_path=db_path, limits=SMALL), clock)
    yield core
    core.close()


async def count(core: Core, table: str) -> int:
    return await core.store.run(lambda tx: as_sqlite(tx).records.db[table].count)


def declare(n: int) -> str:
    return f"declare LT support rutte date=2024-04-{n:02d}"


async def test_writes_per_user_per_minute(demo: Core, clock: Clock) -> None:
    before = await count(demo, "declarations")
    for n in range(1, 4):
        assert (await demo.dispatcher.run_text(declare(n), MOD)).ok
    refused = await demo.dispatcher.run_text(declare(4), MOD)
    assert not refused.ok
    assert "3 changes in the last minute" in refused.title
    assert "TALLYBOT_WRITES_PER_MINUTE=3" in refused.title
    assert await count(demo, "declarations") == before + 3
    assert (await demo.dispatcher.run_text(declare(5), OTHER)).ok  # per user
    assert (await demo.dispatcher.run_text("tally", MOD)).ok  # reads are not limited
    clock.now += timedelta(seconds=61)
    assert (await demo.dispatcher.run_text(declare(6), MOD)).ok


async def test_the_write_rate_holds_across_processes(
    demo: Core, db_path: Path, clock: Clock
) -> None:
    for n in range(1, 4):
        assert (await demo.dispatcher.run_text(declare(n), MOD)).ok
    second = open_core(Settings(db_path=db_path, limits=SMALL), clock)
    try:
        refused = await second.dispatcher.run_text(declare(9), MOD)
        assert "TALLYBOT_WRITES_PER_MINUTE" in refused.title
    finally:
        second.close()


async def test_the_operator_at_the_console_is_not_throttled(demo: Core) -> None:
    for n in range(1, 6):
        assert (await demo.dispatcher.run_text(declare(n), OPERATOR)).ok


async def test_trackers_per_workspace(demo: Core) -> None:
    new = 'tracker new {} "A question" kind=approval rule=unanimity'
    assert (await demo.dispatcher.run_text(new.format("first"), MOD)).ok
    before = await count(demo, "trackers")
    refused = await demo.dispatcher.run_text(new.format("second"), OTHER)
    assert "T1 already has 1 trackers" in refused.title
    assert "TALLYBOT_MAX_TRACKERS=1" in refused.title
    assert await count(demo, "trackers") == before
    assert (await demo.dispatcher.run_text(new.format("third"), ELSEWHERE)).ok


async def test_subscriptions_per_channel_and_per_workspace(demo: Core) -> None:
    new = 'tracker new {} "A question" kind=approval rule=unanimity'
    assert (await demo.dispatcher.run_text(new.format("other"), OPERATOR)).ok
    assert (await demo.dispatcher.run_text("subscribe nato-sg-2024", MOD)).ok
    refused = await demo.dispatcher.run_text("subscribe other", MOD)
    assert "This channel already has 1 subscriptions" in refused.title
    assert "TALLYBOT_MAX_CHANNEL_SUBSCRIPTIONS=1" in refused.title
    assert await count(demo, "subscriptions") == 1

    in_c2 = Actor("slack", "T1", "U2", "Ot", platform_moderator=True, channel="C2")
    in_c3 = Actor("slack", "T1", "U3", "Th", platform_moderator=True, channel="C3")
    assert (await demo.dispatcher.run_text("subscribe other", in_c2)).ok
    refused = await demo.dispatcher.run_text("subscribe other", in_c3)
    assert "T1 already has 2 subscriptions" in refused.title
    assert "TALLYBOT_MAX_WORKSPACE_SUBSCRIPTIONS=2" in refused.title
    assert await count(demo, "subscriptions") == 2
    assert (await demo.dispatcher.run_text("subscribe other", ELSEWHERE)).ok


def test_limit_settings_have_defaults_and_refuse_nonsense() -> None:
    assert Settings.from_env({}).limits == Limits(30, 200, 50, 500)
    assert Settings.from_env({"TALLYBOT_MAX_TRACKERS": "20"}).limits.trackers == 20
    with pytest.raises(SettingsError, match="TALLYBOT_WRITES_PER_MINUTE=0 is not a limit"):
        Settings.from_env({"TALLYBOT_WRITES_PER_MINUTE": "0"})
    with pytest.raises(SettingsError, match="TALLYBOT_MAX_TRACKERS=lots is not a limit"):
        Settings.from_env({"TALLYBOT_MAX_TRACKERS": "lots"})
