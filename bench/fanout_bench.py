"""Fan-out: one declaration to 1,000 subscribed channels, half on the Slack fake, half on the
Discord fake, both enforcing per-channel and global rate limits like the real platforms.

Prints the time to deliver all and the floor those rate limits allow (as a ratio), and the time
from `/tally declare` to the first alert a platform accepted. Traffic stays on 127.0.0.1.

    .venv/bin/python -m bench.fanout_bench [CHANNELS]
"""

from __future__ import annotations

import asyncio
import math
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import discord

from adapters.discord.sender import create_sender as create_discord_sender
from adapters.slack.sender import create_sender as create_slack_sender
from bot.alerts.channels import AlertSender, ChannelRef
from bot.alerts.model import Mode
from bot.alerts.scheduler import AlertScheduler
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.replies import Reply
from bot.settings import Settings
from store.thread import as_sqlite
from tallybot.wiring import open_core
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import DEFAULT_TEAM, DEFAULT_TOKEN, FakeSlackApi

OPERATOR = Actor("console", "local", "bench", "Bench", platform_moderator=True, channel="console")
LITHUANIA = next(c for c in DEMO_COMMANDS if c.startswith("declare LT "))
GUILD = "900000000000000001"
TIME_LIMIT = 100.0


class FirstAccepted:
    """Wraps a sender to note when the platform accepted its first alert."""

    def __init__(self, inner: AlertSender, seen: list[float]) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.seen = seen
        self.latencies: list[float] = []

    async def send(self, channel: ChannelRef, reply: Reply, key: str | None = None) -> str:
        started = time.perf_counter()
        message_id = await self.inner.send(channel, reply, key=key)
        done = time.perf_counter()
        self.latencies.append(done - started)
        self.seen.append(done)
        return message_id


def floor_seconds(messages: int, count: int, per_seconds: float) -> float:
    """The earliest the last of `messages` can go under 'count per per_seconds' (bursting)."""
    return (math.ceil(messages / count) - 1) * per_seconds


async def run(channels: int) -> dict[str, float]:
    slack_n = channels // 2
    discord_n = channels - slack_n
    async with FakeSlackApi() as fake_slack, FakeDiscord() as fake_discord:
        workdir = tempfile.TemporaryDirectory(prefix="fanout-bench-")
        tmp = Path(workdir.name)
        settings = Settings(
            db_path=tmp / "bench.db",
            slack_bot_token=DEFAULT_TOKEN,
            slack_api_url=fake_slack.api_url,
            discord_token=fake_discord.token,
            discord_api_url=fake_discord.api_url,
            shared_community="local",  # one deployment, one community: the demo is read
        )
        core = open_core(settings)
        original_base = discord.http.Route.BASE
        try:
            for text in DEMO_COMMANDS:
                if text != LITHUANIA:
                    reply = await core.dispatcher.run_text(text, OPERATOR)
                    assert reply.ok, reply.title

            def subscribe_all(tx):  # type: ignore[no-untyped-def]
                repo, alerts = tx.records, tx.alerts
                tracker = repo.tracker_by_slug("nato-sg-2024")
                now = datetime.now(UTC)
                refs = [ChannelRef("slack", DEFAULT_TEAM, f"C{n:05d}") for n in range(slack_n)]
                refs += [ChannelRef("discord", GUILD, str(10**17 + n)) for n in range(discord_n)]
                for ref in refs:  # in the tracker's own community (else they hear nothing)
                    alerts.subscribe(
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
            seen: list[float] = []
            slack = FirstAccepted(create_slack_sender(settings), seen)
            discord_sender = await create_discord_sender(settings)
            discord_wrapped = FirstAccepted(discord_sender, seen)
            # A running bot logged in long ago: let the login requests leave Discord's global
            # 1-second window, as they would have, before the declaration.
            await asyncio.sleep(1.1)
            scheduler = AlertScheduler(
                core.store,
                {"slack": slack, "discord": discord_wrapped},
                core.dispatcher.clock,
            )
            await scheduler.start(core.dispatcher)
            try:
                started = time.perf_counter()
                reply = await core.dispatcher.run_text(LITHUANIA, OPERATOR)
                recorded = time.perf_counter()
                assert reply.ok, reply.title
                async with asyncio.timeout(TIME_LIMIT):
                    while len(fake_slack.messages) + len(fake_discord.messages) < channels:
                        await asyncio.sleep(0.005)
                finished = time.perf_counter()
                while scheduler.deliverer.busy:
                    await asyncio.sleep(0.01)
            finally:
                await scheduler.stop()
                await discord_sender.close()
            counts = await core.store.run(lambda tx: as_sqlite(tx).alerts.outbox_counts())
        finally:
            discord.http.Route.BASE = original_base
            core.close()
            workdir.cleanup()
        slack_limit = fake_slack.global_limit
        discord_limit = fake_discord.global_limit
        assert slack_limit is not None and discord_limit is not None
        floor = max(
            floor_seconds(slack_n, slack_limit.count, slack_limit.per_seconds),
            floor_seconds(discord_n, *discord_limit),
        )
        latencies = slack.latencies + discord_wrapped.latencies
        return {
            "channels": channels,
            "sent_rows": counts.get("sent", 0),
            "duplicates": len(fake_slack.messages) + len(fake_discord.messages) - channels,
            "slack_429": sum(1 for r in fake_slack.calls("chat.postMessage") if r.status == 429),
            "discord_429": sum(1 for r in fake_discord.requests if r.status == 429),
            "deliver_all_s": finished - started,
            "floor_s": floor,
            "declare_reply_s": recorded - started,
            "first_accepted_s": min(seen) - started,
            "send_median_ms": statistics.median(latencies) * 1000,
            "send_p99_ms": statistics.quantiles(latencies, n=100)[98] * 1000,
        }


def main() -> None:
    channels = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1000
    figures = asyncio.run(run(channels))
    ratio = figures["deliver_all_s"] / figures["floor_s"] if figures["floor_s"] else float("nan")
    print(
        f"fan-out: 1 declaration -> {figures['channels']} channels "
        f"({figures['channels'] // 2} Slack, {figures['channels'] - figures['channels'] // 2} "
        "Discord; fakes: 1 msg/s per Slack channel, 5/5s per Discord channel, 50/s global each)"
    )
    print(
        f"  delivered all: {figures['deliver_all_s']:.2f} s; floor allowed by the rate limits: "
        f"{figures['floor_s']:.2f} s; ratio {ratio:.2f}x"
    )
    print(
        f"  /tally declare -> reply {figures['declare_reply_s'] * 1000:.1f} ms; "
        f"-> first alert accepted {figures['first_accepted_s'] * 1000:.1f} ms"
    )
    print(
        f"  one send: median {figures['send_median_ms']:.1f} ms, "
        f"p99 {figures['send_p99_ms']:.1f} ms; "
        f"rows marked sent {figures['sent_rows']}; duplicates {figures['duplicates']}; "
        f"429s: slack {figures['slack_429']}, discord {figures['discord_429']}"
    )


if __name__ == "__main__":
    main()
