"""Fan-out across processes: one declaration to 1,000 subscribed channels (half on the Slack
fake, half on the Discord fake, both enforcing per-channel and global rate limits as the real
platforms do), delivered by PROCESSES `tallybot dispatch` processes sharing one database, on
SQLite and on PostgreSQL in the same run.

For each engine and each process count (1, the baseline, and 3): a fresh database, the demo
tracker, the channels subscribed; the dispatchers started and ready; then `/tally declare` in
this (fourth) process. Prints the time until the fakes accepted an alert in every channel
against the floor the platforms' limits allow (the global 50/s of each fake: 500 messages can't
all be accepted in under 9 s), the first alert after the declaration, duplicates, and the 429s
the fakes answered. Goal: within 1.1x the floor with 3 processes.

    .venv/bin/python -m bench.fanout_processes_bench [--channels 1000] [--processes 1,3]
        [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.engines import add_postgres_option, db_setting, engine, engine_names
from bench.fanout_bench import floor_seconds
from bot.alerts.channels import ChannelRef
from bot.alerts.model import Mode
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from store.transaction import as_store
from tallybot.wiring import open_core
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import DEFAULT_TEAM, DEFAULT_TOKEN, FakeSlackApi

OPERATOR = Actor("console", "local", "bench", "Bench", platform_moderator=True, channel="console")
LITHUANIA = next(c for c in DEMO_COMMANDS if c.startswith("declare LT "))
GUILD = "900000000000000001"
REPO = Path(__file__).resolve().parents[1]
WAIT = 120.0
"""Only stops a broken run from hanging."""
READY = b"delivering alerts via"
"""What `tallybot dispatch` logs (INFO) once its senders are up."""


@dataclass
class Result:
    engine: str
    processes: int
    deliver_all: float
    floor: float
    first: float
    duplicates: int
    sent_rows: int
    slack_429: int
    discord_429: int

    @property
    def ratio(self) -> float:
        return self.deliver_all / self.floor if self.floor else float("nan")


def _env(database: str, slack: FakeSlackApi, discord: FakeDiscord) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "TALLYBOT_", "PORT"))
    }
    env.update(
        TALLYBOT_DB=database,
        TALLYBOT_LOG_LEVEL="INFO",
        TALLYBOT_SHARED_COMMUNITY="local",
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_API_URL=slack.api_url,
        DISCORD_TOKEN=discord.token,
        DISCORD_API_URL=discord.api_url,
        PYTHONUNBUFFERED="1",
    )
    return env


async def _prepare(database: str, slack_n: int, discord_n: int) -> None:
    core = open_core(Settings(db_path=db_setting(database), shared_community="local"))
    try:
        for text in DEMO_COMMANDS:
            if text != LITHUANIA:
                reply = await core.dispatcher.run_text(text, OPERATOR)
                assert reply.ok, reply.title

        def subscribe_all(tx):  # type: ignore[no-untyped-def]
            tracker = tx.records.tracker_by_slug("nato-sg-2024")
            now = datetime.now(UTC)
            refs = [ChannelRef("slack", DEFAULT_TEAM, f"C{n:05d}") for n in range(slack_n)]
            refs += [ChannelRef("discord", GUILD, str(10**17 + n)) for n in range(discord_n)]
            for ref in refs:  # in the tracker's own community (else they hear nothing)
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


async def _wait_ready(process: asyncio.subprocess.Process, into: bytearray) -> None:
    assert process.stderr is not None
    async with asyncio.timeout(WAIT):
        while READY not in into:
            line = await process.stderr.readline()
            if not line:
                raise SystemExit(f"tallybot dispatch exited before it was ready:\n{into.decode()}")
            into.extend(line)


async def _drain(stream: asyncio.StreamReader | None, into: bytearray) -> None:
    if stream is not None:
        while chunk := await stream.read(65536):
            into.extend(chunk)


async def measure(name: str, database: str, channels: int, processes: int) -> Result:
    slack_n = channels // 2
    discord_n = channels - slack_n
    await _prepare(database, slack_n, discord_n)
    async with FakeSlackApi() as fake_slack, FakeDiscord() as fake_discord:
        env = _env(database, fake_slack, fake_discord)
        children = []
        logs: list[bytearray] = []
        readers: list[asyncio.Task[None]] = []
        try:
            for _ in range(processes):
                child = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tallybot",
                    "dispatch",
                    cwd=REPO,
                    env=env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                )
                children.append(child)
                logs.append(bytearray())
            for child, log in zip(children, logs, strict=True):
                await _wait_ready(child, log)
                readers.append(asyncio.create_task(_drain(child.stderr, log)))
            # Logged in long ago, as a running bot would be: the logins leave Discord's
            # global one-second window before the declaration.
            await asyncio.sleep(1.1)
            core = open_core(Settings(db_path=db_setting(database), shared_community="local"))
            try:
                started = time.perf_counter()
                reply = await core.dispatcher.run_text(LITHUANIA, OPERATOR)
                assert reply.ok, reply.title
                first: float | None = None
                async with asyncio.timeout(WAIT):
                    while (
                        done := len(fake_slack.messages) + len(fake_discord.messages)
                    ) < channels:
                        if done and first is None:
                            first = time.perf_counter() - started
                        for child, log in zip(children, logs, strict=True):
                            if child.returncode is not None:
                                raise SystemExit(f"a dispatcher exited:\n{log.decode()}")
                        await asyncio.sleep(0.005)
                finished = time.perf_counter()
                await asyncio.sleep(0.5)  # anything sent twice reaches the fakes by now
                counts = await core.store.run(lambda tx: as_store(tx).alerts.outbox_counts())
            finally:
                core.close()
        finally:
            for child in children:
                if child.returncode is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(15):
                        await child.wait()
                if child.returncode is None:
                    child.kill()
                    await child.wait()
            await asyncio.gather(*readers, return_exceptions=True)
        slack_limit = fake_slack.global_limit
        discord_limit = fake_discord.global_limit
        assert slack_limit is not None and discord_limit is not None
        floor = max(
            floor_seconds(slack_n, slack_limit.count, slack_limit.per_seconds),
            floor_seconds(discord_n, *discord_limit),
        )
        return Result(
            engine=name,
            processes=processes,
            deliver_all=finished - started,
            floor=floor,
            first=float("nan") if first is None else first,
            duplicates=len(fake_slack.messages) + len(fake_discord.messages) - channels,
            sent_rows=counts.get("sent", 0),
            slack_429=sum(1 for r in fake_slack.calls("chat.postMessage") if r.status == 429),
            discord_429=sum(1 for r in fake_discord.requests if r.status == 429),
        )


async def run(channels: int, counts: list[int], postgres: str | None) -> list[Result]:
    results = []
    for name in engine_names(postgres):
        for processes in counts:
            with engine(name, postgres) as database:
                result = await measure(name, database, channels, processes)
            results.append(result)
            print(_line(result), flush=True)
    return results


def _line(r: Result) -> str:
    return (
        f"  {r.engine:<10} {r.processes} process{'es' if r.processes > 1 else '  '}: "
        f"all delivered in {r.deliver_all:.2f} s, floor {r.floor:.2f} s, ratio {r.ratio:.2f}x; "
        f"first alert {r.first * 1000:.0f} ms after /tally declare began; rows sent "
        f"{r.sent_rows}, duplicates {r.duplicates}, 429s slack {r.slack_429} discord "
        f"{r.discord_429}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.fanout_processes_bench", description=__doc__)
    add_postgres_option(parser)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--processes", default="1,3", help="comma-separated process counts")
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    counts = [int(n) for n in args.processes.split(",")]
    print(
        f"fan-out of one declaration to {args.channels} channels ({args.channels // 2} Slack, "
        f"{args.channels - args.channels // 2} Discord; fakes: 1 msg/s per Slack channel, 5/5 s "
        "per Discord channel, 50/s global each) by `tallybot dispatch` processes:"
    )
    results = asyncio.run(run(args.channels, counts, args.postgres))
    by = {(r.engine, r.processes): r for r in results}
    for name in {r.engine for r in results}:
        one, many = by.get((name, 1)), by.get((name, max(counts)))
        if one and many and many is not one:
            print(
                f"  {name}: {many.processes} processes / 1 process, time to deliver all: "
                f"{many.deliver_all / one.deliver_all:.2f}x"
            )


if __name__ == "__main__":
    main()
