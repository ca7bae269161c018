"""`tallybot db copy` and `tallybot db migrate` against the real PostgreSQL server
(TALLYBOT_TEST_POSTGRES_URL, a fresh schema per test; skipped with the reason when unset).

The copy is checked row for row here (every table read back in key order on both sides), not
only by the counts and tallies it prints; the target's sequences continue after the copied ids;
a target with data is refused and a row PostgreSQL refuses leaves the target as it was."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.commands.context import Actor
from bot.settings import Settings
from store.copy import CopyFailed, TargetNotEmpty, copy_to_postgres, tables_in_order
from store.database import open_database
from store.schema import STEPS
from tallybot.wiring import open_core
from tests.conftest import Clock, isolated_env, open_demo_core, spawn_tallybot
from tests.postgres import fresh_schema, require_server

TODAY = date(2026, 11, 25)
WAIT_SECONDS = 60.0
DESK = Actor("console", "local", "desk", "Desk", platform_moderator=True, channel="console")


@pytest.fixture
def target() -> Iterator[str]:
    with fresh_schema(require_server()) as url:
        yield url


async def _record(db: Path, clock: Clock) -> None:
    """The demo, plus what a community's file holds after a while: a subscription and its
    outbox, a retraction, an amendment, a second tracker closed, a moderator."""
    core = await open_demo_core(Settings(db_path=db, shared_community="local"), clock)
    try:
        for text in (
            "subscribe nato-sg-2024 mode=every",
            "declare TR support rutte date=2024-04-30",
            'tracker new enlarge "Enlargement" kind=approval rule=unanimity opened=2024-01-01',
            "declare FR support tracker=enlarge date=2024-02-01",
            "declare HU oppose tracker=enlarge date=2024-03-01",
            'tracker close enlarge outcome="shelved" status=abandoned date=2024-06-01',
            "moderator add alice",
        ):
            reply = await core.dispatcher.run_text(text, DESK)
            assert reply.ok, f"{text}: {reply.title}"
        reply = await core.dispatcher.run_text('amend 1 quote="amended"', DESK)
        assert reply.ok, reply.title
        reply = await core.dispatcher.run_text('retract 2 reason="a rumour"', DESK)
        assert reply.ok, reply.title
    finally:
        core.close()


def _rows(conn: Any, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    listed = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    query = f'SELECT {listed} FROM "{table}" ORDER BY {order}'
    return [tuple(r) for r in conn.execute(query).fetchall()]


def _columns(src: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in src.execute(f'PRAGMA table_info("{table}")')]


async def test_every_row_moves_with_its_id_and_reads_back_the_same(
    tmp_path: Path, target: str, clock: Clock
) -> None:
    db = tmp_path / "tally.db"
    await _record(db, clock)
    report = copy_to_postgres(db, target, TODAY)
    assert report.same
    assert len(report.migrations) > 0  # the schema was created in the same transaction
    counts = {t.table: t.source for t in report.tables}
    for table in ("declarations", "alert_outbox", "retractions", "amendments", "moderators"):
        assert counts[table] > 0, table
    assert {t.tracker for t in report.tallies} == {"nato-sg-2024", "enlarge"}
    labels = [(t.tracker, t.label) for t in report.tallies if t.tracker == "enlarge"]
    assert labels == [("enlarge", "opening"), ("enlarge", "midpoint"), ("enlarge", "today")]

    # Row for row, every table, in key order: the same values on both sides.
    with contextlib.closing(sqlite3.connect(db)) as src, psycopg.connect(target) as conn:
        tables = tables_in_order(open_database(db))
        assert set(tables) == set(counts)
        for table in tables:
            columns = _columns(src, table)
            assert _rows(src, table, columns) == _rows(conn, table, columns), table

    # The PostgreSQL store carries on: new ids follow the copied ones.
    with contextlib.closing(sqlite3.connect(db)) as src:
        last = src.execute("SELECT max(id) FROM declarations").fetchone()[0]
    core = open_core(Settings(db_path=target, shared_community="local"))
    try:
        reply = await core.dispatcher.run_text("declare NL support rutte date=2024-05-01", DESK)
        assert reply.ok, reply.title
        reply = await core.dispatcher.run_text(
            'tracker new another "Another" kind=approval rule=unanimity opened=2024-01-01', DESK
        )
        assert reply.ok, reply.title
    finally:
        core.close()
    with psycopg.connect(target) as conn:
        newest = conn.execute("SELECT max(id) FROM declarations").fetchone()
        assert newest is not None and newest[0] == last + 1


async def test_a_target_with_data_is_refused_and_left_alone(
    tmp_path: Path, target: str, clock: Clock
) -> None:
    db = tmp_path / "tally.db"
    core = await open_demo_core(Settings(db_path=db), clock)
    core.close()
    # A target the bot has only opened (its shipped bodies seeded) counts as empty.
    open_core(Settings(db_path=target)).close()
    first = copy_to_postgres(db, target, TODAY)
    assert first.same
    with pytest.raises(TargetNotEmpty) as refused:
        copy_to_postgres(db, target, TODAY)
    message = refused.value.message
    assert "already holds tallybot data (communities: 1" in message
    assert "nothing was written" in message
    with psycopg.connect(target) as conn:
        row = conn.execute("SELECT count(*) FROM declarations").fetchone()
        assert row is not None and row[0] == next(
            t.source for t in first.tables if t.table == "declarations"
        )


async def test_a_row_postgresql_refuses_rolls_the_whole_copy_back(
    tmp_path: Path, target: str, clock: Clock
) -> None:
    """SQLite keeps a NUL in text, PostgreSQL refuses it: the copy stops at that table and the
    target is as it was, schema included (one transaction)."""
    db = tmp_path / "tally.db"
    core = await open_demo_core(Settings(db_path=db), clock)
    core.close()
    with contextlib.closing(sqlite3.connect(db)) as src:
        src.execute("UPDATE trackers SET title = ?", ["NUL \x00 here"])
        src.commit()
    with pytest.raises(CopyFailed) as failed:
        copy_to_postgres(db, target, TODAY)
    assert failed.value.table == "trackers"
    with psycopg.connect(target) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()
        assert row == (0,)


# -- the commands, as real processes -----------------------------------------------------------


async def _tallybot(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await spawn_tallybot(env, *args)
    async with asyncio.timeout(WAIT_SECONDS):
        out, err = await process.communicate()
    return int(process.returncode or 0), out.decode(), err.decode()


async def test_db_copy_and_migrate_from_the_command_line(tmp_path: Path, target: str) -> None:
    db = tmp_path / "tally.db"
    env = isolated_env(db, TALLYBOT_LOG_LEVEL="WARNING")
    assert (await _tallybot(env, "demo"))[0] == 0

    status, out, err = await _tallybot(env, "db", "copy", "--to", target)
    assert status == 0, out + err
    assert re.search(r"^declarations +30 +30$", out, re.M), out
    assert "nato-sg-2024  opening 2024-02-22" in out and out.count("  same") == 3, out
    assert "every row count and every tally (3 checks) is the same on both sides" in out

    status, out, err = await _tallybot(env, "db", "copy", "--to", target)
    assert status == 1 and out.startswith("Copying "), out + err
    assert err.startswith("error: The PostgreSQL database already holds tallybot data"), err
    assert "Traceback" not in err

    on_postgres = {**env, "TALLYBOT_DB": target}
    status, out, _ = await _tallybot(on_postgres, "db", "migrate")
    assert status == 0 and "is up to date: nothing to apply" in out, out
    status, _, err = await _tallybot(on_postgres, "db", "copy", "--to", target)
    assert status == 2 and "db copy reads the SQLite file in TALLYBOT_DB" in err, err

    status, _, err = await _tallybot(env, "db", "copy", "--to", "mysql://x")
    assert status == 2 and "is not a PostgreSQL URL" in err, err

    fresh = isolated_env(tmp_path / "new.db", TALLYBOT_LOG_LEVEL="WARNING")
    status, out, _ = await _tallybot(fresh, "db", "migrate")
    assert status == 0 and out.startswith(f"Applied {len(STEPS)} migration(s) to "), out
    assert (await _tallybot(fresh, "db", "migrate"))[1].endswith(f"{STEPS[-1].__name__}).\n")


async def test_db_migrate_on_postgresql_applies_then_has_nothing_to_do(
    tmp_path: Path, target: str
) -> None:
    env = {
        **isolated_env(tmp_path / "unused.db", TALLYBOT_LOG_LEVEL="WARNING"),
        "TALLYBOT_DB": target,
    }
    status, out, err = await _tallybot(env, "db", "migrate")
    assert status == 0, out + err
    assert out.startswith(f"Applied {len(STEPS)} migration(s) to postgresql://"), out
    assert "m001_core" in out and "password" not in out
    status, out, _ = await _tallybot(env, "db", "migrate")
    last = STEPS[-1].__name__
    assert f"is up to date: nothing to apply ({len(STEPS)} migrations, the last {last})" in out
