"""Platform faults during a fan-out: rate limits, server errors, hangs, a deleted channel.

After each: every alert delivered, none twice, each channel in order, nothing lost."""

from __future__ import annotations

from bot.app import Core
from store.thread import as_sqlite
from tests.alerts.conftest import (
    LITHUANIA,
    Delivery,
    Run,
    assert_ledger,
    discord_mod,
    discord_titles,
    slack_mod,
    slack_titles,
)
from tests.fakes.discord_api import Fault
from tests.fakes.slack_api import FakeSlackApi

ESTONIA_DECLARES = 'declare EE support rutte quote="Estonia backs him again" date=2024-04-03'

SLACK_CHANNELS = ("C1", "C2", "C3")
DISCORD_CHANNELS = ("701", "702", "703")


async def _subscribe_all(run_as: Run) -> None:
    for channel in SLACK_CHANNELS:
        await run_as("/tally subscribe nato-sg-2024", slack_mod(channel))
    for channel in DISCORD_CHANNELS:
        await run_as("/tally subscribe nato-sg-2024", discord_mod(channel))


async def _record_two(run_as: Run) -> None:
    await run_as(LITHUANIA)
    await run_as(ESTONIA_DECLARES)


async def _outbox(core: Core) -> list[dict[str, object]]:
    return await core.store.run(lambda tx: as_sqlite(tx).alerts.outbox())


def _in_order(titles: list[str]) -> None:
    assert len(titles) == 2
    assert "Lithuania backs Mark Rutte" in titles[0]
    assert "Estonia backs Mark Rutte (unchanged since 2024-04-02)" in titles[1]


async def test_rate_limits_are_honoured_and_order_kept(
    demo: Core, run_as: Run, delivery: Delivery, fake_slack: FakeSlackApi, fake_discord
) -> None:
    await _subscribe_all(run_as)
    fake_slack.fault("C1", "ratelimit", times=1, retry_after=1)
    fake_discord.fail_channel("701", Fault(429, retry_after=0.3, times=1))
    await _record_two(run_as)
    await delivery.drain()

    _in_order(slack_titles(fake_slack, "C1"))
    _in_order(discord_titles(fake_discord, "701"))
    statuses = [
        r.status for r in fake_slack.calls("chat.postMessage") if r.payload["channel"] == "C1"
    ]
    assert statuses == [429, 200, 200]
    asked = [r for r in fake_discord.requests_to("/channels/701/messages")]
    assert [r.status for r in asked][:2] == [429, 200]
    assert asked[1].at - asked[0].at >= 0.3  # the retry waited as long as Discord asked
    assert_ledger(await _outbox(demo), fake_slack, fake_discord)


async def test_server_errors_and_hangs_are_retried_without_stalling_others(
    demo: Core, run_as: Run, delivery: Delivery, fake_slack: FakeSlackApi, fake_discord
) -> None:
    await _subscribe_all(run_as)
    fake_slack.fault("C1", "server_error", times=2)
    fake_slack.fault("C2", "hang", times=1, hang_seconds=30)
    fake_discord.fail_channel("701", Fault(500, times=1), Fault(503, times=1))
    fake_discord.fail_channel("702", Fault(hang=True, hang_seconds=30, times=1))
    await _record_two(run_as)
    await delivery.drain()

    for channel in SLACK_CHANNELS:
        _in_order(slack_titles(fake_slack, channel))
    for channel in DISCORD_CHANNELS:
        _in_order(discord_titles(fake_discord, channel))
    rows = await _outbox(demo)
    failed = [r for r in rows if r["attempts"] > 1]
    assert {(r["platform"], r["channel"]) for r in failed} >= {("slack", "C1"), ("slack", "C2")}
    assert any("timed out" in str(r["last_error"]) for r in rows)
    assert_ledger(rows, fake_slack, fake_discord)


async def test_a_gone_channel_is_paused_shown_and_resumed_by_subscribing_again(
    demo: Core, run_as: Run, delivery: Delivery, fake_slack: FakeSlackApi, fake_discord
) -> None:
    await _subscribe_all(run_as)
    fake_slack.fault("C2", "error", error="channel_not_found")
    fake_discord.fail_channel("702", Fault(404, times=None))
    await _record_two(run_as)
    await delivery.drain()

    # The other channels got everything; the gone ones nothing, and are paused.
    for channel in ("C1", "C3"):
        _in_order(slack_titles(fake_slack, channel))
    for channel in ("701", "703"):
        _in_order(discord_titles(fake_discord, channel))
    assert slack_titles(fake_slack, "C2") == [] and discord_titles(fake_discord, "702") == []
    gone_calls = [r for r in fake_slack.calls("chat.postMessage") if r.payload["channel"] == "C2"]
    assert len(gone_calls) == 3  # paused after three 'channel gone' answers, not retried on
    listing = await run_as("/tally subscriptions", slack_mod("C1"))
    paused = {p["channel"]: p for p in listing.data["paused_channels"]}
    assert paused["C2"]["reason"] == "slack: channel_not_found" and paused["C2"]["pending"] == 2
    assert "C2: slack: channel_not_found" in listing.fields[-1].value
    own = await run_as("/tally subscriptions", discord_mod("702"))
    assert own.data["paused"] and "Paused since" in own.lines[0]

    # Nothing more is tried while paused, even on the next run.
    await delivery.drain()
    assert (
        len([r for r in fake_slack.calls("chat.postMessage") if r.payload["channel"] == "C2"]) == 3
    )

    # The bot is back in the channels; a moderator subscribes again: the waiting alerts go out.
    fake_slack.clear_fault("C2")
    fake_discord.clear_faults()
    resumed = await run_as("/tally subscribe nato-sg-2024", slack_mod("C2"))
    assert resumed.data["resumed"]
    await run_as("/tally subscribe nato-sg-2024", discord_mod("702"))
    await delivery.drain()
    _in_order(slack_titles(fake_slack, "C2"))
    _in_order(discord_titles(fake_discord, "702"))
    assert_ledger(await _outbox(demo), fake_slack, fake_discord)
