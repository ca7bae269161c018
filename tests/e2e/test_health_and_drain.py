"""`tallybot run` as a real process: `/healthz` with Slack (HTTP mode) and two Discord shards
up and then the gateway gone; SIGTERM while a slow Discord is in the middle of an alert send and
a command's answer: both finish, the alert row is marked sent (never sent again after a
restart), a command arriving meanwhile is refused in a sentence, and the exit status is 0."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.commands.dispatcher import DRAINING
from tests.conftest import collect, isolated_env, spawn_tallybot
from tests.discord.payloads import (
    ADMIN_ID,
    CHANNEL_ID,
    EVERYDAY,
    GUILD_ID,
    MANAGE_GUILD,
    READER_ID,
    interaction,
    option,
)
from tests.e2e.test_whole_bot import (
    DISCORD_TOKEN,
    SIGNING_SECRET,
    WAIT_SECONDS,
    BotProcess,
    free_port,
    load_demo,
    until,
)
from tests.fakes.discord_api import FakeDiscord, Fault, shard_for
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi
from tests.postgres import fresh_schema, require_server

SLOW_SECONDS = 3.0
"""How long the slow Discord holds an alert send and an interaction answer."""
GRACE = "10"


def discord_env(db: Path, port: int, discord: FakeDiscord, **more: str) -> dict[str, str]:
    settings = {
        "TALLYBOT_LOG_LEVEL": "INFO",
        "TALLYBOT_SHARED_COMMUNITY": "local",
        "TALLYBOT_DISCORD_MOD_ROLE": "",
        "PORT": str(port),
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_URL": discord.api_url,
        "DISCORD_APPLICATION_ID": "",
        "SLACK_BOT_TOKEN": "",
        "SLACK_APP_TOKEN": "",
        "SLACK_SIGNING_SECRET": "",
    }
    return isolated_env(db, **(settings | more))


@asynccontextmanager
async def running(env: dict[str, str], port: int, db: Path) -> AsyncIterator[BotProcess]:
    process = await spawn_tallybot(env, "run")
    bot = BotProcess(process, port, db)
    bot.readers = [
        asyncio.create_task(collect(process.stdout, bot.stdout)),
        asyncio.create_task(collect(process.stderr, bot.stderr)),
    ]
    try:
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.gather(*bot.readers, return_exceptions=True)


async def health(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()


async def until_health(bot: BotProcess, wanted: Callable[[int, dict[str, Any]], bool]) -> dict:
    """Poll /healthz until `wanted(status, body)`; the body then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    last: object = None
    while True:
        if early := bot.exited_early():
            raise AssertionError(f"waiting for /healthz: {early}")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            status, body = await health(bot.port)
            last = (status, body)
            if wanted(status, body):
                return body
        if loop.time() > deadline:
            raise AssertionError(f"/healthz never as wanted; last {last}:\n{bot.output()}")
        await asyncio.sleep(0.1)


def answered(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any] | None:
    found = [c["body"] for c in fake.callbacks if c["interaction_id"] == payload["id"]]
    return found[0] if found else None


def in_flight(fake: FakeDiscord, prefix: str) -> bool:
    """A request has arrived (the slow fake is holding it)."""
    return bool(fake.requests_to(prefix, "POST"))


def outbox(db: Path | str) -> list[tuple[str, str | None]]:
    """The channel's outbox rows (status, message id), read beside the bot on either engine."""
    query = "SELECT status, message_id FROM alert_outbox WHERE channel = ? ORDER BY id"
    if isinstance(db, str):
        import psycopg

        with psycopg.connect(db) as pg:
            rows = pg.execute(query.replace("?", "%s"), (CHANNEL_ID,)).fetchall()
    else:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            rows = conn.execute(query, (CHANNEL_ID,)).fetchall()
    return [(str(status), message_id) for status, message_id in rows]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """TALLYBOT_DB: a file, or a fresh PostgreSQL schema (skipped without a server)."""
    if request.param == "sqlite":
        yield tmp_path / "tally.db"
        return
    with fresh_schema(require_server()) as url:
        yield url


def channel_posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m.payload for m in fake.messages if m.channel_id == CHANNEL_ID]


def guild_on(shard: int, count: int) -> str:
    guild_id = str(((9000 * count + shard) << 22) | 777)
    assert shard_for(guild_id, count) == shard
    return guild_id


async def test_healthz_reports_database_slack_and_each_shard(tmp_path: Path) -> None:
    async with FakeSlackApi() as slack, FakeDiscord(token=DISCORD_TOKEN) as discord:
        guilds = [guild_on(0, 2), guild_on(1, 2)]
        for gid in guilds:
            discord.guilds[gid] = {"name": "NATO watchers", "roles": []}
        db = tmp_path / "tally.db"
        port = free_port()
        env = discord_env(
            db,
            port,
            discord,
            TALLYBOT_DISCORD_SHARDS="0-1/2",
            SLACK_BOT_TOKEN=DEFAULT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
        )
        await load_demo(env)
        async with running(env, port, db) as bot:
            body = await until_health(bot, lambda status, _: status == 200)
            assert body["status"] == "ok"
            assert body["database"]["status"] == "up" and body["database"]["latency_ms"] >= 0
            assert body["slack"] == {"status": "up", "mode": "http"}
            assert body["discord"]["status"] == "up" and body["discord"]["shard_count"] == 2
            assert [(s["shard"], s["connected"]) for s in body["discord"]["gateway"]] == [
                (0, True),
                (1, True),
            ]
            assert sorted(tuple(i["shard"]) for i in discord.identified) == [(0, 2), (1, 2)]
            text = json.dumps(body)
            for secret in (DISCORD_TOKEN, DEFAULT_TOKEN, SIGNING_SECRET):
                assert secret not in text

            # A command on a guild of each shard is answered by this process.
            for gid in guilds:
                asked = interaction(
                    ("tally",), user_id=READER_ID, permissions=EVERYDAY, guild_id=gid
                )
                await discord.dispatch("INTERACTION_CREATE", asked)
                await until(lambda asked=asked: answered(discord, asked), "an answer", bot)

            # Discord's gateway goes away: 503, Discord down, the rest still up.
            discord.gateway_up = False
            for ws in list(discord._sockets):
                await ws.close()
            body = await until_health(bot, lambda status, _: status == 503)
            assert body["status"] == "down"
            assert body["discord"]["status"] == "down"
            assert body["database"]["status"] == "up" and body["slack"]["status"] == "up"

            assert await bot.stop(signal.SIGTERM) == 0
            assert "Traceback" not in bot.output()


async def test_a_bad_shards_setting_stops_the_start_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "tally.db"
    env = isolated_env(db, DISCORD_TOKEN="x", TALLYBOT_DISCORD_SHARDS="4/4")
    process = await spawn_tallybot(env, "run")
    async with asyncio.timeout(WAIT_SECONDS):
        out, err = await process.communicate()
    assert process.returncode == 2
    lines = (out + err).decode().strip().splitlines()
    assert lines == [
        "error: TALLYBOT_DISCORD_SHARDS=4/4 names shard 4, but shards are numbered 0 to 3: use "
        "shard ids and the shard count such as 0-1/4 (shards 0 and 1 of 4), 2/4 or 0,3/4."
    ], lines


async def test_sigterm_finishes_the_alert_send_and_the_command_in_flight(
    tmp_path: Path, database: Path | str
) -> None:
    async with FakeDiscord(token=DISCORD_TOKEN) as discord:
        discord.guilds[GUILD_ID] = {"name": "NATO watchers", "roles": []}
        db = database
        port = free_port()
        env = discord_env(Path(db), port, discord, TALLYBOT_STOP_GRACE=GRACE)
        env["TALLYBOT_DB"] = str(db)
        await load_demo(env)
        async with running(env, port, tmp_path) as bot:
            await until_health(bot, lambda status, _: status == 200)
            subscribe = interaction(
                ("subscribe",), user_id=ADMIN_ID, permissions=EVERYDAY | MANAGE_GUILD
            )
            await discord.dispatch("INTERACTION_CREATE", subscribe)
            await until(lambda: answered(discord, subscribe), "the subscription", bot)

            # Discord turns slow: the alert send and the command's answer are held 3 s each.
            discord.delay_route(f"/channels/{CHANNEL_ID}/messages", SLOW_SECONDS, "POST")
            discord.delay_route("/interactions/", SLOW_SECONDS, "POST")
            declare = interaction(
                ("declare",),
                [option("member", "TR"), option("stance", "support"), option("target", "rutte")],
                user_id=ADMIN_ID,
                permissions=EVERYDAY | MANAGE_GUILD,
            )
            await discord.dispatch("INTERACTION_CREATE", declare)
            await until(
                lambda: (
                    in_flight(discord, f"/interactions/{declare['id']}/")
                    and in_flight(discord, f"/channels/{CHANNEL_ID}/messages")
                ),
                "the answer and the alert in flight",
                bot,
            )
            assert outbox(db) == [("pending", None)]

            bot.process.send_signal(signal.SIGTERM)
            # While draining: /healthz says so (503) and a new command is refused in a sentence.
            await until_health(bot, lambda status, body: body["status"] == "draining")
            late = interaction(("tally",), user_id=READER_ID, permissions=EVERYDAY)
            await discord.dispatch("INTERACTION_CREATE", late)
            async with asyncio.timeout(WAIT_SECONDS):
                status = await bot.process.wait()
                await asyncio.gather(*bot.readers)
            output = bot.output()
            assert status == 0, output
            assert "Traceback" not in output and DISCORD_TOKEN not in output, output

        # Both held requests were answered before the exit, each once.
        recorded = answered(discord, declare)
        assert recorded is not None and recorded["type"] == 4, recorded
        assert "Türkiye" in json.dumps(recorded, ensure_ascii=False)
        refused = answered(discord, late)
        assert refused is not None, output
        assert DRAINING in json.dumps(refused, ensure_ascii=False)
        [alert] = channel_posts(discord)
        assert "Mark Rutte" in json.dumps(alert, ensure_ascii=False)
        [(row_status, message_id)] = outbox(db)
        assert row_status == "sent" and message_id == discord.messages[-1].id

        # Restarted (Discord fast again): the next change's alert comes, the first never again.
        discord.clear_faults()
        async with running(env, port, tmp_path) as bot:
            await until_health(bot, lambda status, _: status == 200)
            change = interaction(
                ("declare",),
                [
                    option("member", "TR"),
                    option("stance", "oppose"),
                    option("target", "rutte"),
                    option("date", "2024-05-02"),
                ],
                user_id=ADMIN_ID,
                permissions=EVERYDAY | MANAGE_GUILD,
            )
            await discord.dispatch("INTERACTION_CREATE", change)
            await until(lambda: len(channel_posts(discord)) >= 2, "the second alert", bot)
            assert await bot.stop(signal.SIGTERM) == 0
        assert len(channel_posts(discord)) == 2
        assert [s for s, _ in outbox(db)] == ["sent", "sent"]


@pytest.mark.parametrize(
    ("grace", "signals", "said"),
    [
        ("1", 1, "with alert sends still running (cancelled)"),
        ("60", 2, "a second signal: stopping now"),
    ],
    ids=["grace-runs-out", "second-signal"],
)
async def test_a_send_that_hangs_is_cut_off_and_goes_out_after_the_restart(
    tmp_path: Path, grace: str, signals: int, said: str
) -> None:
    """The grace bounds the stop (or a second signal cuts it short): the hanging send is
    cancelled, its row stays pending, the exit status is 0, and the restarted bot sends it."""
    async with FakeDiscord(token=DISCORD_TOKEN) as discord:
        discord.guilds[GUILD_ID] = {"name": "NATO watchers", "roles": []}
        db = tmp_path / "tally.db"
        port = free_port()
        env = discord_env(db, port, discord, TALLYBOT_STOP_GRACE=grace)
        await load_demo(env)
        admin = {"user_id": ADMIN_ID, "permissions": EVERYDAY | MANAGE_GUILD}
        async with running(env, port, db) as bot:
            await until_health(bot, lambda status, _: status == 200)
            subscribe = interaction(("subscribe",), **admin)
            await discord.dispatch("INTERACTION_CREATE", subscribe)
            await until(lambda: answered(discord, subscribe), "the subscription", bot)
            discord.fail_channel(CHANNEL_ID, Fault(hang=True, hang_seconds=120))
            declare = interaction(
                ("declare",),
                [option("member", "TR"), option("stance", "support"), option("target", "rutte")],
                **admin,
            )
            await discord.dispatch("INTERACTION_CREATE", declare)
            await until(
                lambda: in_flight(discord, f"/channels/{CHANNEL_ID}/messages"), "the send", bot
            )
            bot.process.send_signal(signal.SIGTERM)
            if signals == 2:
                await until_health(bot, lambda status, body: body["status"] == "draining")
                bot.process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(WAIT_SECONDS):  # far less than the 120 s hang
                status = await bot.process.wait()
                await asyncio.gather(*bot.readers)
            output = bot.output()
            assert status == 0, output
            assert said in output, output
            assert "Traceback" not in output, output
        assert channel_posts(discord) == []
        assert outbox(db) == [("pending", None)]

        discord.clear_faults()
        async with running(env, port, db) as bot:
            await until(lambda: channel_posts(discord), "the alert after the restart", bot)
            assert await bot.stop(signal.SIGTERM) == 0
        assert len(channel_posts(discord)) == 1
        assert [s for s, _ in outbox(db)] == ["sent"]


async def test_healthz_on_postgresql_follows_the_database(tmp_path: Path) -> None:
    """The same report with TALLYBOT_DB a PostgreSQL URL: up with its latency; down (503,
    TimeoutError, no URL or password) while another session holds a lock the read waits for;
    up again once it lets go."""
    import psycopg

    with fresh_schema(require_server()) as url:
        async with FakeDiscord(token=DISCORD_TOKEN) as discord:
            discord.guilds[GUILD_ID] = {"name": "NATO watchers", "roles": []}
            port = free_port()
            env = discord_env(tmp_path / "unused.db", port, discord)
            env["TALLYBOT_DB"] = url
            await load_demo(env)
            async with running(env, port, tmp_path / "unused.db") as bot:
                body = await until_health(bot, lambda status, _: status == 200)
                assert body["database"]["status"] == "up", body
                with psycopg.connect(url) as holder:
                    holder.execute("LOCK TABLE communities IN ACCESS EXCLUSIVE MODE")
                    body = await until_health(bot, lambda status, _: status == 503)
                    assert body["database"] == {"status": "down", "error": "TimeoutError"}
                    assert "postgresql" not in json.dumps(body)
                    holder.rollback()
                await until_health(bot, lambda status, _: status == 200)
                assert await bot.stop(signal.SIGTERM) == 0
                assert "Traceback" not in bot.output()
