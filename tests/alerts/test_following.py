"""A public tracker followed from other communities: its alerts reach every following channel,
on Slack and Discord, while an 'all' subscription elsewhere hears nothing of it."""

from __future__ import annotations

from bot.app import Core
from tests.alerts.conftest import (
    CONSOLE,
    LITHUANIA,
    Delivery,
    Run,
    discord_mod,
    discord_titles,
    slack_mod,
    slack_titles,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi

LT = "Lithuania backs Mark Rutte"


async def test_followers_in_other_communities_get_the_alerts(
    demo: Core,
    run_as: Run,
    delivery: Delivery,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
) -> None:
    demo.dispatcher.shared_community = None  # a public bot: each workspace its own community
    await run_as("/tally tracker edit nato-sg-2024 visibility=public", CONSOLE)
    await run_as("/tally subscribe local/nato-sg-2024", slack_mod("CFOLLOW"))
    await run_as("/tally subscribe all", slack_mod("CALL"))  # the Slack community's own only
    await run_as("/tally subscribe local/nato-sg-2024 mode=every", discord_mod("600"))
    refused = await demo.dispatcher.run_text(
        "/tally declare LT support rutte tracker=local/nato-sg-2024", discord_mod("600")
    )
    assert not refused.ok and "No tracker 'local/nato-sg-2024'" in refused.title

    await run_as(LITHUANIA, CONSOLE)
    await delivery.drain()

    assert any(LT in t for t in slack_titles(fake_slack, "CFOLLOW"))
    assert any(LT in t for t in discord_titles(fake_discord, "600"))
    assert slack_titles(fake_slack, "CALL") == []


async def test_a_tracker_made_private_stops_reaching_other_communities(
    demo: Core,
    run_as: Run,
    delivery: Delivery,
    fake_slack: FakeSlackApi,
) -> None:
    demo.dispatcher.shared_community = None
    await run_as("/tally tracker edit nato-sg-2024 visibility=public", CONSOLE)
    await run_as("/tally subscribe local/nato-sg-2024", slack_mod("CFOLLOW"))
    await run_as("/tally tracker edit nato-sg-2024 visibility=private", CONSOLE)
    await run_as(LITHUANIA, CONSOLE)
    await delivery.drain()
    assert all(LT not in t for t in slack_titles(fake_slack, "CFOLLOW"))
