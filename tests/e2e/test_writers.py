"""Many processes on one SQLite file, as a newsroom runs them: `tallybot exec` from scripts and
terminals while `tallybot run` delivers alerts. Every writer waits its turn for the write lock;
none fails with "database is locked", none is lost; a new file opened by many processes at once
gets its schema exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.commands.context import Actor
from bot.settings import Settings, is_database_url
from store.schema import STEPS
from tallybot.wiring import open_core
from tests.conftest import collect, isolated_env, spawn_tallybot
from tests.database import read

WRITERS = 50
OPENERS = 30
BACKLOG = 750
"""Alerts waiting when the bot starts: the console channel takes 50 a second, so the bot marks
rows sent (a write each) for about 15 s, while the writers write."""
WAIT_SECONDS = 120.0
"""Only stops a broken run from hanging (50 Python processes on a busy 2-core machine)."""

DESK = Actor("console", "local", "desk", "Desk", platform_moderator=True, channel="console")


def _env(db: Path) -> dict[str, str]:
    """The console alone: no chat tokens from the tester's environment or a .env file."""
    return isolated_env(
        db,
        TALLYBOT_LOG_LEVEL="WARNING",
        SLACK_BOT_TOKEN="",
        SLACK_APP_TOKEN="",
        SLACK_SIGNING_SECRET="",
        DISCORD_TOKEN="",
    )


async def _exec(env: dict[str, str], command: str) -> tuple[int, str]:
    process = await spawn_tallybot(env, "exec", command)
    async with asyncio.timeout(WAIT_SECONDS):
        out, err = await process.communicate()
    return int(process.returncode or 0), (out + err).decode(errors="replace")


def _read(db: Path, sql: str) -> list[tuple[object, ...]]:
    if is_database_url(db):
        return read(db, sql)
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchall()


async def _record_backlog(db: Path) -> None:
    """Two trackers, the console channel subscribed to both, BACKLOG alerts not yet sent."""
    core = open_core(Settings(db_path=db))
    try:
        for slug in ("backlog", "crowd"):
            for text in (
                f'tracker new {slug} "{slug}" kind=approval rule=unanimity opened=2020-01-01',
                f"subscribe {slug}",
            ):
                reply = await core.dispatcher.run_text(text, DESK)
                assert reply.ok, reply.title
        codes = [m.code for m in (await core.store.run(lambda tx: tx.records.body("nato"))).members]
        for n in range(BACKLOG):
            stance = "support" if n % 2 else "oppose"
            reply = await core.dispatcher.run_text(
                f"declare {codes[n % len(codes)]} {stance} tracker=backlog "
                f"date={date(2021, 1, 1) + timedelta(days=n)}",
                DESK,
            )
            assert reply.ok, reply.title
    finally:
        core.close()


@pytest.fixture
async def delivering_bot(tmp_path: Path) -> AsyncIterator[tuple[Path, asyncio.subprocess.Process]]:
    """`tallybot run` (console mode: its stdin held open) delivering the backlog."""
    db = tmp_path / "tally.db"
    await _record_backlog(db)
    bot = await spawn_tallybot(_env(db), "run", stdin=asyncio.subprocess.PIPE)
    try:
        yield db, bot
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()


async def test_fifty_writers_while_the_bot_delivers_alerts(
    delivering_bot: tuple[Path, asyncio.subprocess.Process],
) -> None:
    db, bot = delivering_bot
    assert bot.stdout is not None and bot.stdin is not None
    output = bytearray()
    reader = asyncio.create_task(collect(bot.stdout, output))
    async with asyncio.timeout(WAIT_SECONDS):
        while b"alert for console" not in output:
            assert bot.returncode is None, output.decode(errors="replace")
            await asyncio.sleep(0.05)

    env = _env(db)
    codes = [row[0] for row in _read(db, "SELECT code FROM members WHERE body = 'nato'")]
    results = await asyncio.gather(
        *(
            _exec(
                env,
                f"/tally declare {codes[n % len(codes)]} support tracker=crowd "
                f"date={date(2024, 1, 1) + timedelta(days=n)} source=https://example.org/{n}",
            )
            for n in range(WRITERS)
        )
    )

    failed = [out for status, out in results if status != 0]
    assert not failed, f"{len(failed)} of {WRITERS} writers failed; the first:\n{failed[0]}"
    assert all("Recorded #" in out for _, out in results)
    stored = _read(
        db,
        "SELECT count(*), min(d.recorded_at), max(d.recorded_at) FROM declarations d "
        "JOIN trackers t ON t.id = d.tracker_id WHERE t.slug = 'crowd'",
    )
    count, first, last = stored[0]
    assert count == WRITERS
    # The bot was writing too: it marked alerts sent between the first and the last writer.
    marked_meanwhile = _read(
        db,
        f"SELECT count(*) FROM alert_outbox WHERE sent_at > '{first}' AND sent_at < '{last}'",
    )[0][0]
    assert marked_meanwhile > 0

    # Every alert goes out, the writers' too (their commits wake the bot's delivery).
    async with asyncio.timeout(WAIT_SECONDS):
        while _read(db, "SELECT count(*) FROM alert_outbox WHERE status != 'sent'")[0][0]:
            assert bot.returncode is None, output.decode(errors="replace")
            await asyncio.sleep(0.2)
    bot.stdin.close()  # end of the console's input: the bot stops
    async with asyncio.timeout(WAIT_SECONDS):
        status = await bot.wait()
        await reader
    assert bot.stderr is not None
    errors = (await bot.stderr.read()).decode(errors="replace")
    assert status == 0, errors
    assert "Traceback" not in errors and "locked" not in errors
    assert _read(db, "SELECT count(*) FROM alert_outbox")[0][0] == BACKLOG + WRITERS
    assert output.decode().count("alert for console") == BACKLOG + WRITERS


async def test_thirty_processes_open_a_new_database_at_once(tmp_path: Path) -> None:
    db = tmp_path / "new" / "tally.db"
    db.parent.mkdir()  # only the file is created: a missing folder is refused (a typo)
    env = _env(db)
    results = await asyncio.gather(*(_exec(env, "/tally trackers") for _ in range(OPENERS)))
    failed = [out for status, out in results if status != 0]
    assert not failed, f"{len(failed)} of {OPENERS} failed; the first:\n{failed[0]}"
    applied = _read(db, "SELECT name, count(*) FROM _sqlite_migrations GROUP BY name ORDER BY 1")
    assert applied == [(step.__name__, 1) for step in STEPS]
    assert _read(db, "SELECT slug FROM bodies ORDER BY slug") == [("eu",), ("nato",), ("unsc",)]
