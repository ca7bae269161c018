"""The SQLite store: settings of the file, timestamps, the tally's index, the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core
from bot.demo import DEMO_COMMANDS
from store.database import open_database
from store.repository import utc_text
from store.thread import as_sqlite

from .test_seed_stories import replay


@pytest.mark.sqlite_only
def test_file_uses_wal_foreign_keys_and_records_migrations(db_path: Path) -> None:
    db = open_database(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    applied = [r["name"] for r in db.query("SELECT name FROM _sqlite_migrations")]
    assert applied[0] == "m001_core"
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO declarations (tracker_id, member, stance, made_on, recorded_by, "
            "recorded_at) VALUES (999, 'LT', 'support', '2024-01-01', 'x', 'y')"
        )
    db.close()
    again = open_database(db_path)  # reopening applies nothing twice
    assert [r["name"] for r in again.query("SELECT name FROM _sqlite_migrations")] == applied


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc_text(datetime(2024, 1, 1))


async def test_recorded_at_is_timezone_aware_utc(core: Core, run: Any) -> None:
    await replay(run, DEMO_COMMANDS[:2])
    stamps = await core.store.run(
        lambda tx: [
            r[0] for r in as_sqlite(tx).records.db.execute("SELECT recorded_at FROM declarations")
        ]
    )
    assert stamps and all(s.endswith("+00:00") for s in stamps)
    assert datetime.fromisoformat(stamps[0]).tzinfo is not None


@pytest.mark.sqlite_only  # reads SQLite's EXPLAIN QUERY PLAN
async def test_tally_query_seeks_the_index_per_member(core: Core, run: Any) -> None:
    await replay(run, DEMO_COMMANDS[:1])

    def plan(tx: Any) -> str:
        repo = tx.records
        tracker = repo.tracker_by_slug("nato-sg-2024")
        sql = (
            "EXPLAIN QUERY PLAN SELECT d2.id FROM declarations d2 WHERE d2.tracker_id = ? "
            "AND d2.member = ? AND d2.made_on <= ? ORDER BY d2.made_on DESC, d2.id DESC LIMIT 1"
        )
        rows = repo.db.execute(sql, [tracker.id, "LT", "2024-04-02"]).fetchall()
        return " ".join(str(r[-1]) for r in rows)

    detail = await core.store.run(plan)
    assert "USING COVERING INDEX declarations_position" in detail or (
        "USING INDEX declarations_position" in detail
    )
    assert "SCAN" not in detail.replace("SCAN d2 USING", "")


async def test_database_work_does_not_block_the_event_loop(core: Core) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(tx: Any) -> str:
        started.set()
        release.wait(timeout=5)
        return "done"

    job = asyncio.ensure_future(core.store.run(slow))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    ticks = 0
    for _ in range(5):  # the loop keeps turning while the store thread is busy
        await asyncio.sleep(0)
        ticks += 1
    assert ticks == 5 and not job.done()
    release.set()
    assert await job == "done"
