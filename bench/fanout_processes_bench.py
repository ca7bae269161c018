"""Fan-out across processes: one declaration (made with `tallybot exec`) to CHANNELS channels,
half on the Slack fake and half on the Discord fake (both enforcing per-channel and global rate
limits like the real platforms), delivered by 1 and then 3 `tallybot dispatch` processes
sharing the database through channel leases.

Prints, for each count of processes: the time from the declaration's `recorded_at` to the last
alert accepted, the floor the platforms' global limits allow (as a ratio), 429 answers, and
alerts accepted twice (none expected). The per-platform pace is counted per process, so 3
processes may offer up to 3x a platform's global rate and meet its 429s.

    .venv/bin/python -m bench.fanout_processes_bench [--channels 1000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fanout_bench import floor_seconds
from bot.alerts.channels import ChannelRef
from bot.alerts.model import Mode
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import DEFAULT_TEAM, DEFAULT_TOKEN, FakeSlackApi

OPERATOR = Actor("console", "local", "bench", "Bench", platform_moderator=True, channel="console")
LITHUANIA = next(c for c in DEMO_COMMANDS if c.startswith("declare LT "))
GUILD = "900000000000000001"
WAIT = 180.0
"""Only stops a broken run from hanging."""


def _setting(database: str) -> Any:
    return database if database.startswith("postgres") else Path(database)


async def _prepare(database: str, channels: int) -> None:
    core = open_core(Settings(db_path=_setting(database), shared_community="local"))
    try:
        for text in DEMO_COMMANDS:
            if text != LITHUANIA:
                reply = await core.dispatcher.run_text(text, OPERATOR)
                assert reply.ok, reply.title

        def subscribe_all(tx: Any) -> None:
            tracker = tx.records.tracker_by_slug("nato-sg-2024")
            now = datetime.now(UTC)
            slack_n = channels // 2
            refs = [ChannelRef("slack", DEFAULT_TEAM, f"C{n:05d}") for n in range(slack_n)]
            refs += [
                ChannelRef("discord", GUILD, str(10**17 + n)) for n in range(channels - slack_n)
            ]
            for ref in refs:
                tx.alerts.subscribe(
                    ref,
                    tracker.id,
                    Mode.EVERY,
                    None,
                    "UTC",
                    "bench",
                    now,
                    community_id=tracker.community_id,
                )

        await core.store.run(subscribe_all)
    finally:
        core.close()


async def _recorded_at(database: str) -> float:
    core = open_core(Settings(db_path=_setting(database)))
    try:
        row = await core.store.run(
            lambda tx: tx.records.db.execute(
                "SELECT recorded_at FROM declarations ORDER BY id DESC LIMIT 1"
            ).fetchone(),
            write=False,
        )
        return datetime.fromisoformat(row[0]).timestamp()
    finally:
        core.close()


def _env(database: str, slack: FakeSlackApi, discord: FakeDiscord) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "TALLYBOT_", "PORT"))
    }
    env.update(
        TALLYBOT_DB=database,
        TALLYBOT_LOG_LEVEL="WARNING",
        TALLYBOT_SHARED_COMMUNITY="local",
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_API_URL=slack.api_url,
        DISCORD_TOKEN=discord.token,
        DISCORD_API_URL=discord.api_url,
        PYTHONUNBUFFERED="1",
    )
    return env


async def _tallybot(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tallybot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _one(database: str, channels: int, processes: int) -> dict[str, float]:
    await _prepare(database, channels)
    async with FakeSlackApi() as slack, FakeDiscord() as discord:
        accepted: list[float] = []
        slack.before_post = lambda channel: accepted.append(time.time())
        env = _env(database, slack, discord)
        deliverers = [await _tallybot(env, "dispatch") for _ in range(processes)]
        try:
            # Started, logged in to Discord, and their login requests out of its 1 s window.
            async with asyncio.timeout(WAIT):
                while len(discord.requests_to("/users/@me", "GET")) < processes:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)
            writer = await _tallybot(env, "exec", LITHUANIA)
            async with asyncio.timeout(WAIT):
                await writer.communicate()
            assert writer.returncode == 0, "tallybot exec failed"
            async with asyncio.timeout(WAIT):
                while len(slack.messages) + len(discord.messages) < channels:
                    await asyncio.sleep(0.01)
            done = time.time()
            await asyncio.sleep(0.5)  # anything sent twice arrives
        finally:
            for process in deliverers:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in deliverers:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(30):
                        await process.wait()
        recorded = await _recorded_at(database)
        slack_limit, discord_limit = slack.global_limit, discord.global_limit
        assert slack_limit is not None and discord_limit is not None
        floor = max(
            floor_seconds(channels // 2, slack_limit.count, slack_limit.per_seconds),
            floor_seconds(channels - channels // 2, *discord_limit),
        )
        return {
            "all_s": done - recorded,
            "floor_s": floor,
            "duplicates": len(slack.messages) + len(discord.messages) - channels,
            "slack_429": sum(1 for r in slack.calls("chat.postMessage") if r.status == 429),
            "discord_429": sum(1 for r in discord.requests if r.status == 429),
        }


def _report(engine: str, processes: int, f: dict[str, float]) -> None:
    print(
        f"{engine}, {processes} process{'es' if processes > 1 else ''}: all delivered "
        f"{f['all_s']:.2f} s after the declaration; floor {f['floor_s']:.2f} s; ratio "
        f"{f['all_s'] / f['floor_s']:.2f}x; duplicates {f['duplicates']:g}; 429s: slack "
        f"{f['slack_429']:g}, discord {f['discord_429']:g}"
    )


async def run(channels: int, postgres: str | None) -> None:
    print(
        f"fan-out: 1 declaration (tallybot exec) -> {channels} channels, half Slack, half "
        "Discord (fakes: 1 msg/s per Slack channel, 5/5s per Discord channel, 50/s global each)"
    )
    for processes in (1, 3):
        with tempfile.TemporaryDirectory(prefix="fanout-processes-") as tmp:
            figures = await _one(str(Path(tmp) / "bench.db"), channels, processes)
        _report("SQLite", processes, figures)
    if postgres is None or importlib.util.find_spec("store.postgres") is None:
        print("PostgreSQL: not measured (no --postgres URL / TALLYBOT_TEST_POSTGRES_URL)")
        return
    from tests.postgres import fresh_schema

    for processes in (1, 3):
        with fresh_schema(postgres) as url:
            figures = await _one(url, channels, processes)
        _report("PostgreSQL", processes, figures)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.fanout_processes_bench", description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("TALLYBOT_TEST_POSTGRES_URL"))
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    asyncio.run(run(args.channels, args.postgres))


if __name__ == "__main__":
    main()
