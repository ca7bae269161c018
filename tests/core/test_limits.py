"""The limits a public bot needs: each refused with a sentence naming the limit and its setting,
with nothing written; the write rate holds across processes (it is counted in the database);
trackers and subscriptions are counted per community, so linked workspaces share them."""

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
SMALL = Limits(writes_per_minute=3, trackers=2, channel_subscriptions=1, community_subscriptions=2)
NEW = 'tracker new {} "A question" kind=approval rule=unanimity'


@pytest.fixture
async def demo(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    """The demo (in community `local`, one tracker) with workspace T1 linked into `local`."""
    core = await open_demo_core(Settings(db_path=db_path, limits=SMALL), clock)
    code = (await core.dispatcher.run_text("community invite", OPERATOR)).data["code"]
    assert (await core.dispatcher.run_text(f"community join {code}", MOD)).ok
    clock.now += timedelta(seconds=61)  # the join was a write of MOD's
    yield core
    core.close()


async def count(core: Core, table: str) -> int:
    return await core.store.run(lambda tx: as_sqlite(tx).db.count_where(table, "TRUE", []))


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


async def test_trackers_per_community(demo: Core) -> None:
    assert (await demo.dispatcher.run_text(NEW.format("first"), MOD)).ok  # the demo is the other
    before = await count(demo, "trackers")
    refused = await demo.dispatcher.run_text(NEW.format("second"), OTHER)
    assert "Community local already has 2 trackers" in refused.title
    assert "TALLYBOT_MAX_TRACKERS=2" in refused.title
    assert await count(demo, "trackers") == before
    assert (await demo.dispatcher.run_text(NEW.format("third"), ELSEWHERE)).ok  # its own


async def test_linked_workspaces_share_the_tracker_limit(db_path: Path, clock: Clock) -> None:
    """Linking is not a way round the limit: the community it makes holds one allowance."""
    core = open_core(Settings(db_path=db_path, limits=Limits(trackers=2)), clock)
    try:
        run = core.dispatcher.run_text
        assert (await run(NEW.format("first"), MOD)).ok
        code = (await run("community invite", MOD)).data["code"]
        assert (await run(f"community join {code}", ELSEWHERE)).ok
        assert (await run(NEW.format("second"), ELSEWHERE)).ok
        before = await count(core, "trackers")
        refused = await run(NEW.format("third"), OTHER)
        assert "Community slack-t1 already has 2 trackers" in refused.title
        assert await count(core, "trackers") == before
        refused = await run(NEW.format("fourth"), ELSEWHERE)
        assert "Community slack-t1 already has 2 trackers" in refused.title
        apart = Actor("slack", "T7", "U7", "Ap", platform_moderator=True, channel="C7")
        assert (await run(NEW.format("first"), apart)).ok  # a separate community has its own
        assert (await run(NEW.format("second"), apart)).ok
    finally:
        core.close()


async def test_subscriptions_per_channel_and_per_community(demo: Core) -> None:
    public = NEW.format("other") + " visibility=public"
    assert (await demo.dispatcher.run_text(public, OPERATOR)).ok
    assert (await demo.dispatcher.run_text("subscribe nato-sg-2024", MOD)).ok
    refused = await demo.dispatcher.run_text("subscribe other", MOD)
    assert "This channel already has 1 subscriptions" in refused.title
    assert "TALLYBOT_MAX_CHANNEL_SUBSCRIPTIONS=1" in refused.title
    assert await count(demo, "subscriptions") == 1

    in_c2 = Actor("slack", "T1", "U2", "Ot", platform_moderator=True, channel="C2")
    in_c3 = Actor("slack", "T1", "U3", "Th", platform_moderator=True, channel="C3")
    assert (await demo.dispatcher.run_text("subscribe other", in_c2)).ok
    refused = await demo.dispatcher.run_text("subscribe other", in_c3)
    assert "Community local already has 2 subscriptions" in refused.title
    assert "TALLYBOT_MAX_COMMUNITY_SUBSCRIPTIONS=2" in refused.title
    assert await count(demo, "subscriptions") == 2
    # Another community's subscriptions count against its own allowance, not local's.
    assert (await demo.dispatcher.run_text("subscribe local/other", ELSEWHERE)).ok


def test_limit_settings_have_defaults_and_refuse_nonsense() -> None:
    assert Settings.from_env({}).limits == Limits(30, 200, 50, 500)
    assert Settings.from_env({"TALLYBOT_MAX_TRACKERS": "20"}).limits.trackers == 20
    old_name = {"TALLYBOT_MAX_WORKSPACE_SUBSCRIPTIONS": "40"}
    assert Settings.from_env(old_name).limits.community_subscriptions == 40
    both = {**old_name, "TALLYBOT_MAX_COMMUNITY_SUBSCRIPTIONS": "60"}
    assert Settings.from_env(both).limits.community_subscriptions == 60
    with pytest.raises(SettingsError, match="TALLYBOT_MAX_WORKSPACE_SUBSCRIPTIONS=x is not"):
        Settings.from_env({"TALLYBOT_MAX_WORKSPACE_SUBSCRIPTIONS": "x"})
    with pytest.raises(SettingsError, match="TALLYBOT_WRITES_PER_MINUTE=0 is not a limit"):
        Settings.from_env({"TALLYBOT_WRITES_PER_MINUTE": "0"})
    with pytest.raises(SettingsError, match="TALLYBOT_MAX_TRACKERS=lots is not a limit"):
        Settings.from_env({"TALLYBOT_MAX_TRACKERS": "lots"})
