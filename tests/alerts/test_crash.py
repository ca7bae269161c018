"""SIGKILL in the middle of a fan-out, then a restart: every alert delivered, none twice except
the named window (accepted by the platform, not yet marked sent), order kept per channel,
nothing lost from the database. Real processes: `tallybot dispatch`, killed, then
`tallybot dispatch --once`, both posting to the fakes through SLACK_API_URL / DISCORD_API_URL."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from bot.app import Core
from store.thread import as_sqlite
from tests.alerts.conftest import (
    LITHUANIA,
    Run,
    assert_ledger,
    discord_mod,
    platform_messages,
    slack_mod,
    until,
)
from tests.conftest import spawn_tallybot
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi

LEASE = 2.0
"""TALLYBOT_ALERT_LEASE: the killed process's channels are free again this long after it died."""
CHANNELS_PER_PLATFORM = 100
KILL_AFTER = 60
"""Accepted messages before the kill (of 400 in all: 2 alerts x 200 channels)."""


def _env(db: Path, fake_slack: FakeSlackApi, fake_discord: FakeDiscord) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update(
        TALLYBOT_DB=str(db),
        TALLYBOT_LOG_LEVEL="WARNING",
        TALLYBOT_ALERT_LEASE=str(LEASE),
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        DISCORD_TOKEN=fake_discord.token,
        DISCORD_API_URL=fake_discord.api_url,
    )
    return env


async def test_killed_mid_fanout_and_restarted(
    demo: Core,
    run_as: Run,
    db_path: Path,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
) -> None:
    for n in range(CHANNELS_PER_PLATFORM):
        await run_as("/tally subscribe nato-sg-2024", slack_mod(f"C{n:03d}"))
        await run_as("/tally subscribe nato-sg-2024", discord_mod(str(800 + n)))
    await run_as(LITHUANIA)
    await run_as('declare EE support rutte quote="Estonia backs him again" date=2024-04-03')
    written = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert len(written) == 4 * CHANNELS_PER_PLATFORM

    env = _env(db_path, fake_slack, fake_discord)
    first = await spawn_tallybot(env, "dispatch")
    await until(lambda: len(fake_slack.messages) + len(fake_discord.messages) >= KILL_AFTER)
    os.kill(first.pid, signal.SIGKILL)
    assert await first.wait() == -signal.SIGKILL
    await asyncio.sleep(0.2)  # requests already on the wire reach the fakes' handlers

    at_kill = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    accepted = platform_messages(fake_slack, fake_discord)
    delivered = sum(len(m) for m in accepted.values())
    assert KILL_AFTER <= delivered < len(at_kill), "the kill should land mid fan-out"
    assert any(r["status"] == "pending" for r in at_kill)
    may_repeat: set[tuple[str, str, int]] = set()
    for (platform, channel), messages in accepted.items():
        rows = sorted(
            (r for r in at_kill if (r["platform"], r["channel"]) == (platform, channel)),
            key=lambda r: r["id"],
        )
        marked = sum(1 for r in rows if r["status"] == "sent")
        unmarked = [r for r in rows if r["status"] == "pending"][: len(messages) - marked]
        may_repeat |= {(platform, channel, int(r["id"])) for r in unmarked}
    # At most the sends in flight when it died (64 per platform), each accepted, not yet marked.
    assert len(may_repeat) <= 2 * 64

    await asyncio.sleep(LEASE)  # the dead holder's leases run out
    second = await spawn_tallybot(env, "dispatch", "--once")
    out, err = await second.communicate()
    assert second.returncode == 0, err.decode()
    assert out.decode().startswith("alerts sent: ")

    final = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert [r["id"] for r in final] == [r["id"] for r in written]  # nothing lost
    assert_ledger(final, fake_slack, fake_discord, may_repeat)
    for key, messages in platform_messages(fake_slack, fake_discord).items():
        titles = [t for _, t in messages]
        assert "Lithuania" in titles[0] and "Estonia" in titles[-1], key
