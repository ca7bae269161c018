"""What a suggestion costs: `/tally suggest` (a Slack reader) and `/tally confirm` (which
records through declare, in the same transaction as the decision) against a plain
`/tally declare` by the same moderator, in the same run on the same file, turns alternating;
then `/tally review` with the queue holding every pending suggestion made.

    .venv/bin/python -m bench.suggestions_bench [--rounds 200]
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
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from bot.suggestions.model import SuggestionRules
from tallybot.wiring import open_core

OPERATOR = Actor("console", "local", "bench", "bench", platform_moderator=True)
READER = Actor("slack", "T1", "U1", "reader", channel="C1")
MEMBERS = ("AL", "BE", "BG", "CA", "HR", "CZ", "DK", "EE", "FR", "DE", "GR", "HU", "IS", "IT")
STANCES = ("support", "oppose", "lean-support", "lean-oppose")


async def measure(rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"declare": [], "suggest": [], "confirm": [], "review": []}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            db_path=Path(tmp) / "bench.db",
            shared_community="local",
            suggestions=SuggestionRules(per_hour=10**9),
        )
        core = open_core(settings)
        run = core.dispatcher.run_text
        try:
            assert (await core.dispatcher.run_all(DEMO_COMMANDS, OPERATOR))[0].ok

            async def timed(kind: str, text: str, actor: Actor) -> dict[str, object]:
                began = time.perf_counter()
                reply = await run(text, actor)
                timings[kind].append(time.perf_counter() - began)
                assert reply.ok, (text, reply.title)
                return reply.data

            for i in range(rounds):
                member = MEMBERS[i % len(MEMBERS)]
                day = date(2024, 4, 1) + timedelta(days=i % 600)
                stance = STANCES[(i // len(MEMBERS)) % len(STANCES)]
                await timed("declare", f"declare {member} {stance} rutte date={day}", OPERATOR)
                sent = await timed(
                    "suggest",
                    f"suggest {member} {stance} rutte date={day} source=https://example.org/{i}",
                    READER,
                )
                if i % 2:  # half confirmed, half left pending for the review below
                    number = sent["suggestion"]["id"]  # type: ignore[index]
                    await timed("confirm", f"confirm {number}", OPERATOR)
            for _ in range(20):
                await timed("review", "review", OPERATOR)
            pending = (await run("review", OPERATOR)).data["pending"]
            timings["pending"] = [float(pending)]  # type: ignore[list-item]
        finally:
            core.close()
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.suggestions_bench")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv if argv is not None else [])
    found = asyncio.run(measure(args.rounds))
    print(f"declare (baseline):            {summary_ms(found['declare'])}")
    print(f"suggest (a reader, checked):   {summary_ms(found['suggest'])}")
    print(f"confirm (decide + declare):    {summary_ms(found['confirm'])}")
    print(f"review ({int(found['pending'][0])} pending, first 5): {summary_ms(found['review'])}")
    base = statistics.median(found["declare"])
    print(f"ratio suggest/declare median: {statistics.median(found['suggest']) / base:.2f}x")
    print(f"ratio confirm/declare median: {statistics.median(found['confirm']) / base:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
