"""The read cache (bot.tally_cache) on a real SQLite file: a kept reply is the one a fresh read
gives, and every way the answer can change drops it: this process's writes (with or without
events), another process's commit (a real `tallybot exec`), midnight UTC; and it stays bounded."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import Core
from bot.commands.catalog import COMMANDS
from bot.commands.dispatcher import Dispatcher
from bot.replies import Reply
from bot.settings import Settings
from bot.tally_cache import TallyCache
from tests.conftest import (
    OPERATOR,
    READER,
    Clock,
    collect,
    isolated_env,
    open_demo_core,
    spawn_tallybot,
)


@pytest.fixture
async def demo(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    core = await open_demo_core(Settings(db_path=db_path), clock)
    yield core
    core.close()


READS = ("", "position HU", "holdouts", "history limit=5", "nato-sg-2024 as_of=2024-03-06")


async def fresh(core: Core, text: str) -> Reply:
    """The same read with no cache at all, on the same store and clock."""
    uncached = Dispatcher(core.store, COMMANDS, core.dispatcher.clock)
    return await uncached.run_text(text, READER)


async def test_kept_reads_are_the_fresh_answer(demo: Core, clock: Clock) -> None:
    firsts = {text: await demo.dispatcher.run_text(text, READER) for text in READS}
    for text, first in firsts.items():
        again = await demo.dispatcher.run_text(text, READER)
        assert again is first  # served from memory
        assert again == await fresh(demo, text)
    # Who asks does not change a kept read.
    assert await demo.dispatcher.run_text("", OPERATOR) is firsts[""]


async def test_a_write_here_drops_what_it_changed(demo: Core, clock: Clock) -> None:
    before = await demo.dispatcher.run_text("position HU", READER)
    assert "Hungary opposes" in before.lines[0]
    declared = await demo.dispatcher.run_text("declare HU support rutte date=2024-04-10", OPERATOR)
    assert declared.ok, declared.title
    after = await demo.dispatcher.run_text("position HU", READER)
    assert after is not before and after == await fresh(demo, "position HU")
    assert "Hungary backs" in after.lines[0]


async def test_writes_without_events_drop_everything_even_without_data_version(
    demo: Core, clock: Clock
) -> None:
    """The dispatcher's own invalidation alone (no version probe), for a write that emits
    no event (a tracker edit)."""
    dispatcher = Dispatcher(demo.store, COMMANDS, clock, TallyCache(version=None))
    before = await dispatcher.run_text("", READER)
    edited = await dispatcher.run_text("tracker edit nato-sg-2024 rule=majority", OPERATOR)
    assert edited.ok, edited.title
    after = await dispatcher.run_text("", READER)
    assert after != before and after == await fresh(demo, "")


async def test_another_process_commit_is_seen_at_once(demo: Core, db_path: Path) -> None:
    before = await demo.dispatcher.run_text("position HU", READER)
    assert await demo.dispatcher.run_text("position HU", READER) is before
    process = await spawn_tallybot(
        isolated_env(db_path), "exec", "declare HU support rutte date=2024-04-10"
    )
    out, err = bytearray(), bytearray()
    await collect(process.stdout, out)
    await collect(process.stderr, err)
    assert await process.wait() == 0, err.decode()
    after = await demo.dispatcher.run_text("position HU", READER)
    assert after != before and after == await fresh(demo, "position HU")


async def test_midnight_utc_never_serves_yesterdays_today(demo: Core, clock: Clock) -> None:
    today = await demo.dispatcher.run_text("", READER)
    assert today.data["as_of"] == clock.now.date().isoformat()
    clock.now = clock.now.replace(hour=23, minute=59, second=59)
    assert await demo.dispatcher.run_text("", READER) is today
    clock.now += timedelta(seconds=1)
    tomorrow = await demo.dispatcher.run_text("", READER)
    assert tomorrow.data["as_of"] == clock.now.date().isoformat() != today.data["as_of"]


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = TallyCache(size=2)
    day = date(2026, 11, 23)
    replies = [Reply(title=f"r{i}") for i in range(3)]
    keys = [cache.key("tally", {"tracker": f"t{i}"}, day) for i in range(3)]
    for key, reply in zip(keys[:2], replies[:2], strict=True):
        cache.put(key, cache.token(), reply, tracker_id=1, named=True)
    assert cache.get(keys[0]) is replies[0]  # now the most recently used
    cache.put(keys[2], cache.token(), replies[2], tracker_id=1, named=True)
    assert len(cache) == 2
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is replies[0] and cache.get(keys[2]) is replies[2]


def test_a_read_overtaken_by_a_commit_is_not_kept() -> None:
    cache = TallyCache()
    key = cache.key("tally", {}, date(2026, 11, 23))
    token = cache.token()
    cache.forget([])  # a commit lands while the read is on the store thread
    cache.put(key, token, Reply(title="stale"), tracker_id=None, named=False)
    assert cache.get(key) is None


def test_only_reads_that_ignore_the_asker_are_kept() -> None:
    cache = TallyCache()
    day = date(2026, 11, 23)
    assert cache.key("subscriptions", {}, day) is None
    assert cache.key("tracker-new", {"slug": "x"}, day) is None
    assert cache.key("tally", {"tracker": "a"}, day) != cache.key("tally", {"tracker": "b"}, day)
    assert cache.key("tally", {}, day) != cache.key("tally", {}, day + timedelta(days=1))
    error = dataclasses.replace(Reply.error("no"), title="no")
    key = cache.key("tally", {}, day)
    cache.put(key, cache.token(), error, tracker_id=None, named=False)
    assert cache.get(key) is None
