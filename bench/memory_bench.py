"""Resident memory of a real `tallybot run`: Slack (HTTP mode) and Discord, alerts on, and a
database holding 100,000 declarations, after it has answered commands from both platforms.

The bot runs as its own process, pointed at the local fakes (tests/fakes) through its settings
alone, with the environment tests/e2e/test_whole_bot.py gives it; traffic stays on 127.0.0.1.
One channel on each platform subscribes to every change, a moderator records two declarations
(so alerts go out to both), then readers send /tally reads over Slack and Discord. VmRSS (now)
and VmHWM (peak) come from /proc/PID/status at each stage; goal: under 120 MB. For scale, the
same run prints the resident memory of a bare interpreter that only imports the libraries the
bot runs on.

    .venv/bin/python -m bench.memory_bench [--declarations 100000] [--reads 200]
        [--launcher "python -m tallybot"]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from bench.launcher import parse_launcher, shown
from bench.trackers import OPERATOR, load_random
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from tallybot.wiring import open_core
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
    SLACK_ADMIN,
    SLACK_ALERTS,
    SLACK_DESK,
    SLACK_MOD,
    bot_env,
    free_port,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import (
    FakeSlackApi,
    signed_headers,
    slash_command_body,
)

GOAL_MB = 120.0
WAIT_SECONDS = 30.0
"""Upper bound of every wait, so a broken run ends instead of hanging."""
CONCURRENCY = 8
BIG = "big"
SLACK_READS = (
    BIG,
    f"history {BIG} limit=20",
    f"position HU tracker={BIG}",
    f"holdouts {BIG}",
    f"{BIG} as_of=2022-06-01",
    "nato-sg-2024",
    "trackers",
)
DISCORD_READS: tuple[tuple[tuple[str, ...], list[dict[str, Any]]], ...] = (
    (("tally",), [option("tracker", BIG)]),
    (("position",), [option("member", "HU"), option("tracker", BIG)]),
    (("history",), [option("tracker", BIG)]),
    (("holdouts",), [option("tracker", BIG)]),
    (("tally",), [option("tracker", "nato-sg-2024")]),
)
DECLARATIONS = (
    f"declare TR support rutte tracker={BIG} date=2024-04-30",
    "declare HU support rutte tracker=nato-sg-2024 date=2024-05-02",
)
LIBRARIES = "import discord, slack_bolt, slack_sdk, aiohttp, apscheduler, sqlite_utils, dotenv"


# -- memory -----------------------------------------------------------------------------------
def status_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of `pid` in MB, from /proc/PID/status."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB
    return values["VmRSS"], values["VmHWM"]


def libraries_floor_mb() -> float:
    """VmRSS of a fresh interpreter that has imported the bot's libraries and nothing else."""
    code = (
        "import warnings; warnings.simplefilter('ignore'); "
        f"{LIBRARIES}; "
        "print(open('/proc/self/status').read())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


# -- the database -----------------------------------------------------------------------------
def prepare_db(db: Path, declarations: int) -> None:
    """The demo tracker, and tracker `big` with `declarations` bulk-loaded ones."""
    core = open_core(Settings(db_path=db))
    try:

        async def demo() -> None:
            for text in DEMO_COMMANDS:
                reply = await core.dispatcher.run_text(text, OPERATOR)
                assert reply.ok, f"{text}: {reply.title}"

        asyncio.run(demo())
        load_random(core, BIG, declarations)
    finally:
        core.close()


# -- the bot process --------------------------------------------------------------------------
class Bot:
    """`LAUNCHER run` with its output in a file (a pipe nobody reads could fill and stall it)."""

    def __init__(self, launcher: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.log_path = log
        self._log: TextIO = log.open("w")
        self.process = subprocess.Popen(
            [*launcher, "run"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.port = port

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def check_alive(self, what: str) -> None:
        if self.process.poll() is not None:
            raise SystemExit(
                f"waiting for {what}: the bot exited with {self.process.returncode}:\n"
                + self.output()[-4000:]
            )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


async def until(check: Callable[[], object], what: str, bot: Bot) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        bot.check_alive(what)
        if time.monotonic() > deadline:
            raise SystemExit(f"no {what} within {WAIT_SECONDS:g}s:\n{bot.output()[-4000:]}")
        await asyncio.sleep(0.02)


async def until_healthy(bot: Bot, session: aiohttp.ClientSession) -> None:
    async def healthy() -> bool:
        try:
            async with session.get(f"http://127.0.0.1:{bot.port}/healthz") as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    deadline = time.monotonic() + WAIT_SECONDS
    while not await healthy():
        bot.check_alive("/healthz")
        if time.monotonic() > deadline:
            raise SystemExit(f"/healthz did not answer within {WAIT_SECONDS:g}s")
        await asyncio.sleep(0.1)


# -- talking to it ----------------------------------------------------------------------------
class Traffic:
    def __init__(
        self, bot: Bot, slack: FakeSlackApi, discord: FakeDiscord, session: aiohttp.ClientSession
    ) -> None:
        self.bot = bot
        self.slack = slack
        self.discord = discord
        self.session = session

    async def slack_command(self, text: str, user: tuple[str, str], channel: str) -> None:
        """Send a signed `/tally TEXT`; wait for the ack and the response_url answer."""
        key = uuid.uuid4().hex
        body = slash_command_body(
            text,
            self.slack.response_url(key),
            user_id=user[0],
            user_name=user[1],
            channel_id=channel,
        )
        async with self.session.post(
            f"http://127.0.0.1:{self.bot.port}/slack/events",
            data=body.encode(),
            headers=signed_headers(SIGNING_SECRET, body),
        ) as response:
            await response.read()
            if response.status != 200:
                raise SystemExit(f"Slack ack for {text!r} was HTTP {response.status}")
        await until(
            lambda: any(p.key == key for p in self.slack.responses), f"answer to {text!r}", self.bot
        )

    async def discord_command(self, payload: dict[str, Any]) -> None:
        """Deliver INTERACTION_CREATE over the gateway; wait for the answer over REST."""
        await self.discord.dispatch("INTERACTION_CREATE", payload)
        name = payload["data"]["name"]

        def callback() -> dict[str, Any] | None:
            found = [c for c in self.discord.callbacks if c["interaction_id"] == payload["id"]]
            return found[0]["body"] if found else None

        await until(callback, f"interaction callback for /{name}", self.bot)
        if (callback() or {}).get("type") == 5:  # deferred: the answer is a later edit
            await until(
                lambda: any(w["token"] == payload["token"] for w in self.discord.webhook_calls),
                f"deferred answer to /{name}",
                self.bot,
            )


async def _reads(traffic: Traffic, count: int) -> None:
    """`count` reads, half on each platform, CONCURRENCY at a time."""
    jobs = []
    for i in range(count):
        if i % 2:
            path, options = DISCORD_READS[(i // 2) % len(DISCORD_READS)]
            payload = interaction(path, options, user_id=READER_ID, permissions=EVERYDAY)
            jobs.append(lambda p=payload: traffic.discord_command(p))
        else:
            text = SLACK_READS[(i // 2) % len(SLACK_READS)]
            reader = (f"U0R{i:04d}", f"reader{i}")
            jobs.append(lambda t=text, r=reader: traffic.slack_command(t, r, SLACK_DESK))
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(job: Callable[[], Any]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


def _line(stage: str, pid: int) -> tuple[float, float]:
    rss, hwm = status_mb(pid)
    print(f"  {stage:<46} VmRSS {rss:6.1f} MB   VmHWM {hwm:6.1f} MB", flush=True)
    return rss, hwm


async def measure(launcher: list[str], db: Path, tmp: Path, reads: int) -> None:
    async with FakeSlackApi() as slack, FakeDiscord(token=DISCORD_TOKEN) as discord:
        slack.add_user(*SLACK_ADMIN, display_name="Ada Admin", is_admin=True)
        slack.add_user(*SLACK_MOD)
        discord.guilds[GUILD_ID] = {"name": "NATO watchers", "roles": []}
        port = free_port()
        bot = Bot(launcher, bot_env(db, port, slack, discord), tmp / "bot.log", port)
        timeout = aiohttp.ClientTimeout(total=WAIT_SECONDS)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                started = time.perf_counter()
                await until_healthy(bot, session)
                await until(lambda: discord.identified, "IDENTIFY on the fake gateway", bot)
                print(
                    f"`{shown(launcher)} run` (pid {bot.process.pid}) up in "
                    f"{time.perf_counter() - started:.1f} s; Slack HTTP + Discord gateway",
                    flush=True,
                )
                pid = bot.process.pid
                _line("started, both adapters connected", pid)
                traffic = Traffic(bot, slack, discord, session)
                await traffic.slack_command("subscribe all mode=every", SLACK_ADMIN, SLACK_ALERTS)
                await traffic.discord_command(
                    interaction(
                        ("subscribe",),
                        [option("tracker", "all")],
                        user_id=ADMIN_ID,
                        permissions=EVERYDAY | MANAGE_GUILD,
                    )
                )
                for text in DECLARATIONS:
                    await traffic.slack_command(text, SLACK_MOD, SLACK_DESK)
                await until(
                    lambda: len(slack.messages_in(SLACK_ALERTS)) >= len(DECLARATIONS),
                    "the Slack alerts",
                    bot,
                )
                await until(
                    lambda: (
                        sum(m.channel_id == CHANNEL_ID for m in discord.messages)
                        >= len(DECLARATIONS)
                    ),
                    "the Discord alerts",
                    bot,
                )
                _line(f"subscribed, {len(DECLARATIONS)} declarations alerted on both", pid)
                started = time.perf_counter()
                await _reads(traffic, reads)
                print(
                    f"  ({reads} reads answered in {time.perf_counter() - started:.1f} s, "
                    f"{CONCURRENCY} at a time, half Slack, half Discord)",
                    flush=True,
                )
                rss, hwm = _line(f"after {reads} reads", pid)
                await asyncio.sleep(2.0)
                rss, hwm = _line("2 s later, idle", pid)
        finally:
            status = bot.stop()
        if status != 0:
            print(f"  (the bot exited with {status} on SIGTERM)\n{bot.output()[-2000:]}")
        floor = libraries_floor_mb()
        print(f"  {'python importing only the libraries (floor)':<46} VmRSS {floor:6.1f} MB")
        verdict = "meets" if hwm < GOAL_MB else "misses"
        print(
            f"peak {hwm:.1f} MB = {hwm / GOAL_MB:.2f} of the {GOAL_MB:g} MB goal ({verdict} it); "
            f"now {rss:.1f} MB = {rss / floor:.1f}x the libraries' floor",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.memory_bench")
    parser.add_argument("--declarations", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--launcher", help='e.g. "python -m tallybot" (default: found)')
    args = parser.parse_args(argv if argv is not None else [])
    launcher = parse_launcher(args.launcher)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "memory.db"
        started = time.perf_counter()
        prepare_db(db, args.declarations)
        print(
            f"database: demo tracker + '{BIG}' with {args.declarations:,} declarations "
            f"(loaded in {time.perf_counter() - started:.1f} s, "
            f"{db.stat().st_size / 2**20:.0f} MB on disk)",
            flush=True,
        )
        asyncio.run(measure(launcher, db, Path(tmp), args.reads))


if __name__ == "__main__":
    main(sys.argv[1:])
