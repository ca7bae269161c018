"""Several `tallybot run` processes on one database, as real processes posting to the fakes.

A declaration made with `tallybot exec` beside them reaches every subscribed channel once and
in order, woken by the commit (not the 30 s sweep); one of them SIGKILLed in the middle of a
fan-out leaves its channels to the other once their leases run out: every channel gets every
alert, a repeat only where the killed process had a message accepted and not yet marked sent
(the window README names)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Core
from bot.settings import Settings
from store.thread import as_sqlite
from tests.alerts.conftest import (
    ENGINES,
    LITHUANIA,
    Run,
    assert_ledger,
    discord_mod,
    on_engine,
    platform_messages,
    slack_mod,
    until,
)
from tests.conftest import collect, isolated_env, spawn_tallybot
from tests.e2e.test_whole_bot import BotProcess, free_port, healthy
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi

LEASE = 2.0
"""TALLYBOT_ALERT_LEASE in these runs: a killed process's channels wait this long."""
SIGNING_SECRET = "processes-signing-secret-0b7e"
WAIT_SECONDS = 60.0
"""Only stops a broken run from hanging (two bots and the fakes on a busy 2-core machine)."""
ESTONIA = 'declare EE support rutte quote="Estonia backs him again" date=2024-04-03'


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """Every test here on SQLite and on PostgreSQL."""
    with on_engine(request.param, settings) as chosen:
        yield chosen


def run_env(db: str, port: int, slack: FakeSlackApi, discord: FakeDiscord) -> dict[str, str]:
    return isolated_env(
        db,
        TALLYBOT_LOG_LEVEL="WARNING",
        TALLYBOT_SHARED_COMMUNITY="local",
        TALLYBOT_ALERT_LEASE=str(LEASE),
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_APP_TOKEN="",
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
        DISCORD_TOKEN=discord.token,
        DISCORD_API_URL=discord.api_url,
        DISCORD_APPLICATION_ID="",
    )


async def start_runs(
    bots: list[BotProcess], count: int, db: str, slack: FakeSlackApi, discord: FakeDiscord
) -> list[BotProcess]:
    """`count` bots on one database, each serving Slack on its own port and connected to the
    Discord gateway: ready to deliver on both platforms. Each joins `bots` as it starts, so
    the fixture stops it even if another never becomes ready."""
    started = []
    for _ in range(count):
        port = free_port()
        process = await spawn_tallybot(run_env(db, port, slack, discord), "run")
        bot = BotProcess(process, port, Path(db))
        bot.readers = [
            asyncio.create_task(collect(process.stdout, bot.stdout)),
            asyncio.create_task(collect(process.stderr, bot.stderr)),
        ]
        bots.append(bot)
        started.append(bot)
    async with asyncio.timeout(WAIT_SECONDS):
        for bot in started:
            while not await healthy(bot.port):
                assert not bot.exited_early(), bot.exited_early()
                await asyncio.sleep(0.1)
        while len(discord.identified) < count:
            await asyncio.sleep(0.05)
    return started


async def exec_command(env: dict[str, str], text: str) -> float:
    """`tallybot exec TEXT` as its own process; returns the time.time() it exited at."""
    process = await spawn_tallybot(env, "exec", text)
    async with asyncio.timeout(WAIT_SECONDS):
        out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    assert "Recorded #" in out.decode(), out.decode()
    return time.time()


async def _all_sent(core: Core) -> bool:
    rows = await core.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    return bool(rows) and all(r["status"] == "sent" for r in rows)


async def _wait_all_sent(core: Core, bots: list[BotProcess]) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while not await _all_sent(core):
            for bot in bots:
                assert bot.process.returncode in (None, -signal.SIGKILL), bot.output()
            await asyncio.sleep(0.1)


async def test_a_declaration_from_exec_reaches_each_channel_once_beside_two_bots(
    demo: Core,
    run_as: Run,
    settings: Settings,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
    bots: list[BotProcess],
) -> None:
    slack_channels = [f"CX{n:02d}" for n in range(20)]
    discord_channels = [str(700 + n) for n in range(10)]
    for channel in slack_channels:
        await run_as("/tally subscribe nato-sg-2024", slack_mod(channel))
    for channel in discord_channels:
        await run_as("/tally subscribe nato-sg-2024", discord_mod(channel))
    await start_runs(bots, 2, settings.database, fake_slack, fake_discord)
    env = isolated_env(
        settings.database, TALLYBOT_LOG_LEVEL="WARNING", TALLYBOT_SHARED_COMMUNITY="local"
    )

    # Declared in a third process that delivers nothing: the bots hear of it by the commit.
    await exec_command(env, LITHUANIA)
    await _wait_all_sent(demo, bots)
    await exec_command(env, ESTONIA)
    await _wait_all_sent(demo, bots)
    await asyncio.sleep(0.3)  # anything sent twice would have reached the fakes by now

    rows = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert len(rows) == 2 * 30
    assert_ledger(rows, fake_slack, fake_discord)  # each once, in order, nothing extra
    accepted = platform_messages(fake_slack, fake_discord)
    assert len(accepted) == 30
    for key, messages in accepted.items():
        titles = [title for _, title in messages]
        assert len(titles) == 2 and "Lithuania" in titles[0] and "Estonia" in titles[1], key
    for bot in bots:
        assert "Traceback" not in bot.output(), bot.output()


async def test_one_bot_killed_mid_fanout_the_other_takes_its_channels_over(
    demo: Core,
    run_as: Run,
    settings: Settings,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
    bots: list[BotProcess],
) -> None:
    per_platform = 100
    for n in range(per_platform):
        await run_as("/tally subscribe nato-sg-2024", slack_mod(f"C{n:03d}"))
        await run_as("/tally subscribe nato-sg-2024", discord_mod(str(800 + n)))
    await start_runs(bots, 2, settings.database, fake_slack, fake_discord)
    env = isolated_env(
        settings.database, TALLYBOT_LOG_LEVEL="WARNING", TALLYBOT_SHARED_COMMUNITY="local"
    )
    await exec_command(env, LITHUANIA)
    await exec_command(env, ESTONIA)

    await until(lambda: len(fake_slack.messages) + len(fake_discord.messages) >= 60, WAIT_SECONDS)
    # The victim: the bot holding the most channels right now (holders are HOST:PID:TAG).
    holders = await demo.store.run(
        lambda tx: [
            str(r[0])
            for r in as_sqlite(tx).records.db.execute(
                "SELECT holder FROM alert_leases WHERE holder IS NOT NULL"
            )
        ]
    )
    pids = [int(h.split(":")[-2]) for h in holders]
    victim = max(bots, key=lambda b: pids.count(b.process.pid))
    [survivor] = [b for b in bots if b is not victim]
    os.kill(victim.process.pid, signal.SIGKILL)
    assert await victim.process.wait() == -signal.SIGKILL
    await asyncio.sleep(0.2)  # requests already on the wire reach the fakes' handlers

    # The victim's channels are frozen until its leases run out: read what it left behind.
    db = as_sqlite
    dead = f":{victim.process.pid}:"

    def left_behind(tx):  # type: ignore[no-untyped-def]
        held = {
            (r[0], r[1])
            for r in db(tx).records.db.execute(
                "SELECT platform, channel FROM alert_leases WHERE holder LIKE ?", [f"%{dead}%"]
            )
        }
        return held, db(tx).alerts.outbox()

    held, at_kill = await demo.store.run(left_behind)
    accepted = platform_messages(fake_slack, fake_discord)
    assert held, "the kill should land while the victim holds channels"
    assert any(r["status"] == "pending" for r in at_kill), "the kill should land mid fan-out"
    may_repeat: set[tuple[str, str, int]] = set()
    for platform, channel in held:
        rows = sorted(
            (r for r in at_kill if (r["platform"], r["channel"]) == (platform, channel)),
            key=lambda r: r["id"],
        )
        marked = sum(1 for r in rows if r["status"] == "sent")
        unmarked = len(accepted.get((platform, channel), [])) - marked
        pending = [r for r in rows if r["status"] == "pending"]
        may_repeat |= {(platform, channel, int(r["id"])) for r in pending[: max(unmarked, 0)]}
    assert len(may_repeat) <= 2 * 64  # at most the sends it had in flight

    await _wait_all_sent(demo, [survivor])
    await asyncio.sleep(0.3)
    final = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert [r["id"] for r in final] == [r["id"] for r in at_kill]  # nothing lost
    assert_ledger(final, fake_slack, fake_discord, may_repeat)
    messages = platform_messages(fake_slack, fake_discord)
    assert len(messages) == 2 * per_platform
    for key, channel_messages in messages.items():
        titles = [t for _, t in channel_messages]
        assert "Lithuania" in titles[0] and "Estonia" in titles[-1], key
    assert survivor.process.returncode is None
    assert "Traceback" not in survivor.output(), survivor.output()
