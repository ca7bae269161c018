"""`tallybot run` as a real process reads the configured feeds on its own schedule: a local
news site on 127.0.0.1 (allowed by TALLYBOT_FEEDS_PRIVATE=1) is read once at start, and its
items wait in the review queue as suggestions."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.settings import Settings
from tallybot.wiring import open_core
from tests.conftest import OPERATOR, collect, isolated_env, spawn_tallybot
from tests.fakes.feed_server import FeedServer

WAIT_SECONDS = 60
SG = (
    'tracker new nato-sg-2024 "NATO Secretary General 2024" kind=selection rule=unanimity '
    'candidates="Mark Rutte,Klaus Iohannis" opened=2024-02-22'
)


def _read(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


async def test_the_running_bot_reads_its_feeds(tmp_path: Path) -> None:
    site = FeedServer()
    await site.start()
    db = tmp_path / "tally.db"
    try:
        site.routes["/sg.rss"] = "sg_news.rss"
        core = open_core(Settings(db_path=db))
        try:
            assert (await core.dispatcher.run_text(SG, OPERATOR)).ok
            added = await core.dispatcher.run_text(f"feeds add {site.url('/sg.rss')}", OPERATOR)
            assert added.ok, added.title
        finally:
            core.close()

        env = isolated_env(db, TALLYBOT_FEEDS_PRIVATE="1")
        bot = await spawn_tallybot(env, "run", stdin=asyncio.subprocess.PIPE)
        output = bytearray()
        readers = [
            asyncio.create_task(collect(bot.stdout, output)),
            asyncio.create_task(collect(bot.stderr, output)),
        ]
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while not _read(db, "SELECT 1 FROM feeds WHERE last_status LIKE '200:%'"):
                    assert bot.returncode is None, output.decode(errors="replace")
                    await asyncio.sleep(0.1)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

        assert _read(db, "SELECT last_status, suggested, failures FROM feeds") == [
            ("200: 4 new items, 3 suggestions", 3, 0)
        ]
        members = _read(db, "SELECT member FROM suggestions WHERE status = 'pending' ORDER BY id")
        assert sorted(m for (m,) in members) == ["HU", "SK", "TR"]
        assert _read(db, "SELECT count(*) FROM declarations") == [(0,)]
        (request,) = site.requests("/sg.rss")
        assert request.headers["User-Agent"].startswith("tallybot-feeds/")
    finally:
        await site.stop()


async def test_dispatch_once_reads_due_feeds_before_delivering(tmp_path: Path) -> None:
    """A cron deployment (`tallybot dispatch --once` beside `tallybot exec`) reads feeds too."""
    site = FeedServer()
    await site.start()
    db = tmp_path / "tally.db"
    try:
        site.routes["/sg.rss"] = "sg_news.rss"
        core = open_core(Settings(db_path=db))
        try:
            assert (await core.dispatcher.run_text(SG, OPERATOR)).ok
            assert (await core.dispatcher.run_text(f"feeds add {site.url('/sg.rss')}", OPERATOR)).ok
        finally:
            core.close()
        env = isolated_env(db, TALLYBOT_FEEDS_PRIVATE="1")
        once = await spawn_tallybot(env, "dispatch", "--once")
        async with asyncio.timeout(WAIT_SECONDS):
            out, err = await once.communicate()
        assert once.returncode == 0, out.decode() + err.decode()
        lines = out.decode().splitlines()
        assert lines[0].startswith("alerts sent: ")
        assert lines[1] == "feeds read: 1 (feed 1: 200: 4 new items, 3 suggestions)"
        assert _read(db, "SELECT count(*) FROM suggestions WHERE status = 'pending'") == [(3,)]
    finally:
        await site.stop()
