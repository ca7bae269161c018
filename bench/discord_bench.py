"""Interactions per second through discord.py's command tree, against the local fake Discord.

Ours (/tally on the demo tracker, /position HU, member autocomplete) against a no-op command on
the same path (tree dispatch, interaction parsing, one embed callback over HTTP to 127.0.0.1).
The ratio says what the core and the embed rendering cost on top of discord.py and the HTTP
round trip (goal for /tally: >= 0.8x). The scenarios take turns in batches of 100, so a
machine that gets busier or quieter during the run weighs on all of them alike.
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
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.discord.payloads import interaction, option
from tests.fakes.discord_api import FakeDiscord

ROUNDS = 2000
"""Interactions per scenario."""
BATCH = 100
WARMUP = 50
BUDGET_SECONDS = 60.0
"""The run stops early past this (after a whole turn), so it stays under two minutes."""
GOAL_RATIO = 0.8
"""/tally's interactions per second against the no-op's."""
OPERATOR = Actor("console", "local", "bench", "Bench", platform_moderator=True)


async def _noop(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(
        embed=discord.Embed(title="ok"),
        ephemeral=True,
        allowed_mentions=discord.AllowedMentions.none(),
    )


Scenario = Callable[[], dict[str, Any]]


async def _measure(
    client: TallyClient, scenarios: dict[str, Scenario]
) -> dict[str, tuple[list[float], float]]:
    """Per scenario, its latencies and the time its batches took, batches taking turns."""

    async def once(make: Scenario) -> float:
        payload = make()
        start = time.perf_counter()
        await client.tree._call(discord.Interaction(data=payload, state=client._connection))
        return time.perf_counter() - start

    for make in scenarios.values():
        for _ in range(WARMUP):
            await once(make)
    latencies: dict[str, list[float]] = {name: [] for name in scenarios}
    elapsed = dict.fromkeys(scenarios, 0.0)
    started = time.perf_counter()
    for _ in range(ROUNDS // BATCH):
        for name, make in scenarios.items():
            batch_start = time.perf_counter()
            latencies[name].extend([await once(make) for _ in range(BATCH)])
            elapsed[name] += time.perf_counter() - batch_start
        if time.perf_counter() - started > BUDGET_SECONDS:
            break
    return {name: (latencies[name], elapsed[name]) for name in scenarios}


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
                shared_community="local",  # one deployment, one community: the demo is read
            )
            core = open_core(settings)
            try:
                for text in DEMO_COMMANDS:
                    await core.dispatcher.run_text(text, OPERATOR)
                client = TallyClient(core.dispatcher, core.store, settings, rest_only=True)
                client.tree.add_command(
                    app_commands.Command(name="noop", description="No work.", callback=_noop)
                )
                await client.login(fake.token)
                try:
                    print(
                        f"discord tree -> fake Discord on 127.0.0.1 (sequential, {ROUNDS} "
                        f"each, in turns of {BATCH})"
                    )
                    measured = await _measure(
                        client,
                        {
                            "no-op command": lambda: interaction(("noop",)),
                            "/tally (demo tracker)": lambda: interaction(("tally",)),
                            "/position HU": lambda: interaction(
                                ("position",), [option("member", "HU")]
                            ),
                            "autocomplete member 'lith'": lambda: interaction(
                                ("position",), [option("member", "lith", focused=True)], kind=4
                            ),
                        },
                    )
                    rates = {name: _summary(name, *found) for name, found in measured.items()}
                    medians = {name: statistics.median(lat) for name, (lat, _) in measured.items()}
                    base = rates.pop("no-op command")
                    base_median = medians["no-op command"]
                    print("ratios to the no-op (interactions/s; in brackets by median latency):")
                    for name, rate in rates.items():
                        goal = ""
                        if name.startswith("/tally"):
                            verdict = "meets" if rate / base >= GOAL_RATIO else "misses"
                            goal = f"   ({verdict} the goal >= {GOAL_RATIO:g}x)"
                        print(
                            f"  {name:<28} {rate / base:5.2f}x "
                            f"({base_median / medians[name]:.2f}x){goal}"
                        )
                    assert all(c["body"]["type"] in (4, 8) for c in fake.callbacks)
                finally:
                    await client.close()
            finally:
                core.close()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
