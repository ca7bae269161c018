"""Interactions per second through discord.py's command tree, against the local fake Discord.

Ours (/tally on the demo tracker, /position HU, member autocomplete) against a no-op command on
the same path (tree dispatch, interaction parsing, one embed callback over HTTP to 127.0.0.1).
The ratio says what the core and the embed rendering cost on top of discord.py and the HTTP
round trip (goal for /tally: >= 0.8x). The no-op runs first and again last, and its rate is
taken over both, so a machine that gets busier during the run does not flatter the ratios.
Run: .venv/bin/python -m bench.discord_bench
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from adapters.discord.client import TallyClient
from bot.app import Core
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from tests.discord.payloads import interaction, option
from tests.fakes.discord_api import FakeDiscord

ROUNDS = 2000
WARMUP = 50
BUDGET_SECONDS = 20.0
"""Each scenario stops early past this, so the whole run stays well under two minutes."""
GOAL_RATIO = 0.8
"""/tally's interactions per second against the no-op's."""
OPERATOR = Actor("console", "local", "bench", "Bench", platform_moderator=True)


async def _noop(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(
        embed=discord.Embed(title="ok"),
        ephemeral=True,
        allowed_mentions=discord.AllowedMentions.none(),
    )


async def _measure(
    client: TallyClient, make: Callable[[], dict[str, Any]]
) -> tuple[list[float], float]:
    async def once() -> float:
        payload = make()
        start = time.perf_counter()
        await client.tree._call(discord.Interaction(data=payload, state=client._connection))
        return time.perf_counter() - start

    for _ in range(WARMUP):
        await once()
    latencies: list[float] = []
    started = time.perf_counter()
    while len(latencies) < ROUNDS and time.perf_counter() - started < BUDGET_SECONDS:
        latencies.append(await once())
    return latencies, time.perf_counter() - started


def _summary(name: str, latencies: list[float], elapsed: float) -> float:
    rate = len(latencies) / elapsed
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    median = statistics.median(ordered)
    print(
        f"  {name:<28} {rate:8.1f} interactions/s   median {median * 1e3:6.2f} ms"
        f"   p99 {p99 * 1e3:6.2f} ms   (n={len(latencies)})"
    )
    return rate


async def run() -> None:
    logging.getLogger("discord").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord(global_limit=None, channel_limit=None) as fake:
            settings = Settings(
                db_path=Path(tmp) / "bench.db",
                discord_token=fake.token,
                discord_api_url=fake.api_url,
            )
            core = Core.open(settings)
            try:
                for text in DEMO_COMMANDS:
                    await core.dispatcher.run_text(text, OPERATOR)
                client = TallyClient(core.dispatcher, core.store, settings, rest_only=True)
                client.tree.add_command(
                    app_commands.Command(name="noop", description="No work.", callback=_noop)
                )
                await client.login(fake.token)
                try:
                    print(f"discord tree -> fake Discord on 127.0.0.1 (sequential, {ROUNDS} each)")
                    noop, t = await _measure(client, lambda: interaction(("noop",)))
                    first = _summary("no-op command (first)", noop, t)
                    results = {
                        "/tally (demo tracker)": lambda: interaction(("tally",)),
                        "/position HU": lambda: interaction(
                            ("position",), [option("member", "HU")]
                        ),
                        "autocomplete member 'lith'": lambda: interaction(
                            ("position",), [option("member", "lith", focused=True)], kind=4
                        ),
                    }
                    rates = {}
                    for name, make in results.items():
                        latencies, elapsed = await _measure(client, make)
                        rates[name] = _summary(name, latencies, elapsed)
                    again, t_again = await _measure(client, lambda: interaction(("noop",)))
                    last = _summary("no-op command (last)", again, t_again)
                    base = (len(noop) + len(again)) / (t + t_again)
                    print(f"  no-op over both runs: {base:.1f} interactions/s")
                    print(f"ratios to the no-op (first/last differ by {last / first:.2f}x):")
                    for name, rate in rates.items():
                        goal = ""
                        if name.startswith("/tally"):
                            verdict = "meets" if rate / base >= GOAL_RATIO else "misses"
                            goal = f"   ({verdict} the goal >= {GOAL_RATIO:g}x)"
                        print(f"  {name:<28} {rate / base:5.2f}x{goal}")
                    assert all(c["body"]["type"] in (4, 8) for c in fake.callbacks)
                finally:
                    await client.close()
            finally:
                core.close()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
