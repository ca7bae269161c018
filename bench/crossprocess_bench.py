"""Cross-process wake-up: the first alert after a declaration made in another process.

A `tallybot dispatch` process delivers to the Slack fake (CHANNELS subscribed channels) while
`tallybot exec "declare ..."` records declarations beside it, one at a time. For each, the
time from the declaration's `recorded_at` (stamped inside exec, before its commit) to the
fake accepting the first of its alerts, and to the last. Two deliverers, in the same run:
- now: the deliverer watches the store's version (every 0.2 s), so a commit anywhere wakes it;
- before (the baseline): woken only by its safety-net sweep (`--watch 0`), as every process but
  the writer was before; run here with a SWEEP-second sweep, so its figures scale by
  30 / SWEEP to the 30 s sweep the bot uses (a uniform wait over the interval: mean 15 s).
SQLite always; PostgreSQL too with --postgres URL (or TALLYBOT_TEST_POSTGRES_URL) when this
checkout has the engine (a throwaway schema, TALLYBOT_TEST_SCHEMA_PREFIX + a tag, is dropped
after).

    .venv/bin/python -m bench.crossprocess_bench [--runs 7] [--channels 10] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.fakes.slack_api import DEFAULT_TEAM, DEFAULT_TOKEN, FakeSlackApi

OPERATOR = Actor("console", "local", "bench", "Bench", platform_moderator=True, channel="console")
SWEEP = 3.0
"""The baseline's sweep interval (seconds); the bot's is 30."""
BOT_SWEEP = 30.0
WAIT = 60.0
"""Only stops a broken run from hanging."""
CODES = ("LT", "EE", "LV", "PL", "DE", "FR", "IT", "ES", "PT", "NL", "BE", "DK", "NO", "IS")


@dataclass
class Figures:
    first: list[float] = field(default_factory=list)
    """Seconds from the declaration's recorded_at (stamped inside exec, before its write and
    commit) to the first alert the fake accepted."""
    last: list[float] = field(default_factory=list)
    """The same, to the last of its channels."""
    after_exit: list[float] = field(default_factory=list)
    """Seconds from exec's exit (after its commit) to the first alert; negative when the alert
    beat the exit."""


def _mod(channel: str) -> Actor:
    return Actor("slack", DEFAULT_TEAM, "UMOD", "Mod", platform_moderator=True, channel=channel)


async def _prepare(database: str, channels: int) -> None:
    """The demo tracker and CHANNELS Slack channels subscribed to it (one community)."""
    core = open_core(Settings(db_path=_db_setting(database), shared_community="local"))
    try:
        for text in DEMO_COMMANDS:
            if not text.startswith("declare "):
                reply = await core.dispatcher.run_text(text, OPERATOR)
                assert reply.ok, reply.title
        for n in range(channels):
            reply = await core.dispatcher.run_text(
                "/tally subscribe nato-sg-2024", _mod(f"CB{n:03d}")
            )
            assert reply.ok, reply.title
    finally:
        core.close()


def _db_setting(database: str) -> Any:
    """TALLYBOT_DB as Settings holds it: a Path for a file, the text for a URL."""
    return database if database.startswith("postgres") else Path(database)


async def _recorded_at(database: str) -> datetime:
    core = open_core(Settings(db_path=_db_setting(database)))
    try:

        def latest(tx: Any) -> datetime:
            row = tx.records.db.execute(
                "SELECT recorded_at FROM declarations ORDER BY id DESC LIMIT 1"
            ).fetchone()
            return datetime.fromisoformat(row[0])

        result: datetime = await core.store.run(latest, write=False)
        return result
    finally:
        core.close()


def _env(database: str, fake: FakeSlackApi) -> dict[str, str]:
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
        SLACK_API_URL=fake.api_url,
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
        stderr=asyncio.subprocess.PIPE,
    )


async def _measure(
    database: str, channels: int, runs: int, watch: bool, start: int
) -> tuple[Figures, int]:
    figures = Figures()
    async with FakeSlackApi() as fake:
        posted: list[float] = []
        fake.before_post = lambda channel: posted.append(time.time())
        env = _env(database, fake)
        args = ["dispatch"] + ([] if watch else ["--watch", "0", "--interval", str(SWEEP)])
        deliverer = await _tallybot(env, *args)
        try:
            for n in range(start, start + runs + 1):  # the first declaration warms up
                # A random pause: the declarations must not fall in step with the sweep.
                await asyncio.sleep(random.uniform(0.0, SWEEP))
                before = len(posted)
                code = CODES[n % len(CODES)]
                text = f"declare {code} support rutte date=2024-05-{1 + n % 28:02d}"
                writer = await _tallybot(env, "exec", text)
                async with asyncio.timeout(WAIT):
                    out, err = await writer.communicate()
                exited = time.time()
                if writer.returncode != 0:
                    raise SystemExit(f"tallybot exec failed:\n{(out + err).decode()}")
                async with asyncio.timeout(WAIT):
                    while len(posted) < before + channels:
                        if deliverer.returncode is not None:
                            _, err = await deliverer.communicate()
                            raise SystemExit(f"tallybot dispatch exited:\n{err.decode()}")
                        await asyncio.sleep(0.005)
                if n == start:
                    continue
                recorded = (await _recorded_at(database)).timestamp()
                figures.first.append(posted[before] - recorded)
                figures.last.append(posted[before + channels - 1] - recorded)
                figures.after_exit.append(posted[before] - exited)
        finally:
            if deliverer.returncode is None:
                deliverer.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WAIT):
                    await deliverer.communicate()
    return figures, start + runs + 1


def _line(label: str, figures: Figures, scale: float = 1.0) -> str:
    first = statistics.median(figures.first) * scale
    last = statistics.median(figures.last) * scale
    exit_ = statistics.median(figures.after_exit) * scale
    each = ", ".join(f"{x * 1000:.0f}" for x in figures.first)
    return (
        f"{label}: first alert median {first * 1000:.0f} ms after the declaration was stamped "
        f"({exit_ * 1000:.0f} ms after exec exited), all channels {last * 1000:.0f} ms "
        f"(first, each run, ms: {each})"
    )


async def _engine(name: str, database: str, channels: int, runs: int) -> None:
    await _prepare(database, channels)
    now, next_n = await _measure(database, channels, runs, watch=True, start=0)
    before, _ = await _measure(database, channels, runs, watch=False, start=next_n)
    print(_line(f"{name} now (commit wakes delivery)", now))
    print(_line(f"{name} before, {SWEEP:g} s sweep only", before))
    # Only the wait for the sweep grows with it; exec's own time up to its exit does not.
    own = statistics.median(f - e for f, e in zip(before.first, before.after_exit, strict=True))
    scaled = own + statistics.median(before.after_exit) * BOT_SWEEP / SWEEP
    print(
        f"{name} before, at the bot's {BOT_SWEEP:g} s sweep (the wait scaled by "
        f"{BOT_SWEEP / SWEEP:g}): first alert median {scaled:.1f} s after the declaration; "
        f"now/before {statistics.median(now.first) / scaled:.3f} "
        f"({scaled / statistics.median(now.first):.0f}x sooner)"
    )


async def run(runs: int, channels: int, postgres: str | None) -> None:
    print(
        f"first alert after `tallybot exec` declares, delivered by a `tallybot dispatch` "
        f"beside it: {channels} Slack channels, median of {runs} runs"
    )
    with tempfile.TemporaryDirectory(prefix="crossprocess-bench-") as tmp:
        await _engine("SQLite", str(Path(tmp) / "bench.db"), channels, runs)
    if postgres is None:
        print("PostgreSQL: not measured (no --postgres URL or TALLYBOT_TEST_POSTGRES_URL)")
    elif importlib.util.find_spec("store.postgres") is None:
        print("PostgreSQL: not measured (this checkout has no PostgreSQL engine)")
    else:
        from tests.postgres import fresh_schema

        with fresh_schema(postgres) as url:
            await _engine("PostgreSQL", url, channels, runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.crossprocess_bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("TALLYBOT_TEST_POSTGRES_URL"))
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    asyncio.run(run(args.runs, args.channels, args.postgres))


if __name__ == "__main__":
    main()
