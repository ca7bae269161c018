"""The cost of the limits on a write: `/tally declare` through the dispatcher as a Slack
moderator (limits checked: the user's writes in the last minute, the workspace's trackers and
subscriptions before and after, the write noted) against the same declarations by the console
operator (not limited), in the same run on the same file, turns alternating.

    .venv/bin/python -m bench.limits_bench [--writes 400]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.stats import summary_ms
from bot.commands.context import Actor
from bot.limits import Limits
from bot.settings import Settings
from tallybot.wiring import open_core

OPERATOR = Actor("console", "local", "bench", "bench", platform_moderator=True)
SLACK_MOD = Actor("slack", "T1", "U1", "mod", platform_moderator=True, channel="C1")
TRACKER = 'tracker new bench "Bench" kind=approval rule=unanimity opened=2000-01-01'


async def measure(writes: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        limits = Limits(writes_per_minute=writes * 2)  # measured, never reached
        core = open_core(Settings(db_path=Path(tmp) / "bench.db", limits=limits))
        try:
            assert (await core.dispatcher.run_text(TRACKER, OPERATOR)).ok
            timings: dict[str, list[float]] = {"console": [], "slack": []}
            start = date(2000, 1, 2)
            for i in range(writes * 2):
                actor = OPERATOR if i % 2 else SLACK_MOD
                text = f"declare DE support tracker=bench date={start + timedelta(days=i)}"
                began = time.perf_counter()
                reply = await core.dispatcher.run_text(text, actor)
                timings["console" if i % 2 else "slack"].append(time.perf_counter() - began)
                assert reply.ok, reply.title
            return timings["console"], timings["slack"]
        finally:
            core.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.limits_bench")
    parser.add_argument("--writes", type=int, default=400)
    args = parser.parse_args(argv if argv is not None else [])
    console, slack = asyncio.run(measure(args.writes))
    print(f"declare, not limited (console):  {summary_ms(console)}")
    print(f"declare, limits checked (Slack): {summary_ms(slack)}")
    ratio = statistics.median(slack) / statistics.median(console)
    print(f"ratio limited/unlimited median latency: {ratio:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
