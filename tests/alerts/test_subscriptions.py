"""/tally subscribe, unsubscribe and subscriptions: who may, what is stored, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.console.render import render_text
from bot.alerts.channels import ChannelRef
from bot.app import Core
from bot.commands.context import Actor
from store.thread import as_sqlite
from tests.alerts.conftest import GUILD, SLACK_TEAM, Run, discord_mod, slack_mod

MEMBER = Actor("discord", GUILD, "77", "Member", channel="500")
MANAGER = Actor("discord", GUILD, "78", "Manager", channel="500", channel_manager=True)


async def test_subscribing_is_for_moderators_and_channel_managers(demo: Core) -> None:
    denied = await demo.dispatcher.run_text("/tally subscribe", MEMBER)
    assert not denied.ok
    assert "moderators or people who manage this channel" in denied.title
    allowed = await demo.dispatcher.run_text("/tally subscribe", MANAGER)
    assert allowed.ok, allowed.title
    assert allowed.title == (
        "This channel now gets every change for NATO Secretary General 2024 (nato-sg-2024)"
    )
    # Reading is for everyone.
    listing = await demo.dispatcher.run_text("/tally subscriptions", MEMBER)
    assert listing.ok and listing.data["subscriptions"][0]["tracker"] == "nato-sg-2024"


async def test_the_same_command_from_discord_options_and_slack_text(demo: Core) -> None:
    command = demo.dispatcher.command("subscribe")
    from_discord = await demo.dispatcher.run(
        command,
        {"tracker": "all", "mode": "digest", "at": "7:30", "tz": "Europe/Brussels"},
        discord_mod("500"),
    )
    from_slack = await demo.dispatcher.run_text(
        "/tally subscribe all mode=digest at=07:30 tz=Europe/Brussels", slack_mod("C9")
    )
    assert from_discord.ok and from_slack.ok
    assert from_discord.data["subscription"] | {"id": 0} == from_slack.data["subscription"] | {
        "id": 0
    }
    assert from_slack.data["subscription"] == {
        "id": from_slack.data["subscription"]["id"],
        "tracker": "all",
        "mode": "digest",
        "at": "07:30",
        "tz": "Europe/Brussels",
        "cards": False,
    }
    subs = await demo.store.run(lambda tx: tx.alerts.digest_subscriptions())
    assert {(s.channel.platform, s.channel.workspace, s.channel.channel) for s in subs} == {
        ("discord", GUILD, "500"),
        ("slack", SLACK_TEAM, "C9"),
    }


async def test_clear_errors_for_time_zones_times_and_places(demo: Core, run_as: Run) -> None:
    mod = slack_mod("C1")
    typo = await demo.dispatcher.run_text("/tally subscribe mode=digest tz=Europe/Brusels", mod)
    assert typo.data["error"] == "unknown time zone 'Europe/Brusels': did you mean Europe/Brussels?"
    late = await demo.dispatcher.run_text("/tally subscribe mode=digest at=25:00", mod)
    assert late.data["error"].startswith("at='25:00' is not a time of day")
    mixed = await demo.dispatcher.run_text("/tally subscribe mode=every at=08:00", mod)
    assert "add mode=digest" in mixed.data["error"]
    nowhere = Actor("slack", SLACK_TEAM, "UMOD", "Mod", platform_moderator=True)
    lost = await demo.dispatcher.run_text("/tally subscribe", nowhere)
    assert lost.data["error"] == "Run this in the channel that should get the alerts."
    unknown = await demo.dispatcher.run_text("/tally subscribe nato-sg-2042", mod)
    assert "No tracker 'nato-sg-2042'" in unknown.data["error"]


async def test_resubscribing_updates_and_unsubscribing_stops(demo: Core, run_as: Run) -> None:
    mod = slack_mod("C1")
    first = await run_as("/tally subscribe nato-sg-2024", mod)
    second = await run_as("/tally subscribe nato-sg-2024 mode=milestones", mod)
    assert first.data["created"] and not second.data["created"]
    await run_as("/tally subscribe all mode=digest", mod)
    listing = await run_as("/tally subscriptions", mod)
    assert [(s["tracker"], s["mode"]) for s in listing.data["subscriptions"]] == [
        ("nato-sg-2024", "milestones"),
        ("all", "digest"),
    ]
    assert listing.fields[1].items == ("a daily digest at 09:00 (UTC) · since 2026-11-23",)
    gone = await run_as("/tally unsubscribe nato-sg-2024", mod)
    assert gone.title == "This channel no longer gets alerts for nato-sg-2024"
    await run_as("/tally unsubscribe all", mod)
    empty = await run_as("/tally subscriptions", mod)
    assert empty.data["subscriptions"] == []
    assert empty.lines[0].startswith("This channel gets no alerts.")
    nothing = await demo.dispatcher.run_text("/tally unsubscribe", mod)
    assert nothing.data["error"] == "This channel has no subscriptions."


async def test_unsubscribing_drops_alerts_not_yet_sent(demo: Core, run_as: Run) -> None:
    mod = slack_mod("C1")
    await run_as("/tally subscribe nato-sg-2024", mod)
    await run_as('declare LT support rutte quote="Yes"')
    await run_as("/tally unsubscribe", mod)
    rows = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert [(r["status"], r["last_error"]) for r in rows] == [("cancelled", "unsubscribed")]


async def test_changing_a_subscription_says_it_was_updated(demo: Core) -> None:
    first = await demo.dispatcher.run_text("/tally subscribe", MANAGER)
    changed = await demo.dispatcher.run_text("/tally subscribe mode=digest at=07:30", MANAGER)
    assert first.ok and changed.ok, changed.title
    assert changed.title.startswith("Updated: this channel now gets a daily digest at 07:30")
    assert "(updated)" not in changed.title and changed.data["created"] is False


async def test_subscribing_again_with_the_same_settings_says_already(demo: Core) -> None:
    first = await demo.dispatcher.run_text("/tally subscribe mode=digest at=07:30", MANAGER)
    again = await demo.dispatcher.run_text("/tally subscribe mode=digest at=07:30", MANAGER)
    assert first.ok and again.ok, again.title
    assert again.title.startswith("Already subscribed: this channel gets a daily digest at 07:30")


async def test_paused_channels_are_listed_one_per_line(demo: Core, run_as: Run) -> None:
    when = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    for channel in ("C2", "C3"):
        ref = ChannelRef("slack", SLACK_TEAM, channel)
        await demo.store.run(
            lambda tx, ref=ref: tx.alerts.record_gone(ref, "channel_not_found", when, 1)
        )
    listing = await run_as("/tally subscriptions", slack_mod("C1"))
    paused = listing.fields[-1]
    assert paused.name == "Paused channels in this workspace (2)"
    assert not paused.inline
    assert paused.value == (
        "C2: channel_not_found (since 2026-11-23 09:30 UTC, 0 waiting)\n"
        "C3: channel_not_found (since 2026-11-23 09:30 UTC, 0 waiting)"
    )
    assert (
        "    C2: channel_not_found (since 2026-11-23 09:30 UTC, 0 waiting)\n"
        "    C3: channel_not_found (since 2026-11-23 09:30 UTC, 0 waiting)"
    ) in render_text(listing)
