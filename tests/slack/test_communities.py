"""Slack and communities: a Slack Connect user's rights and view come from their own
workspace (`user_team`), never the host of the shared channel; direct messages only read."""

from __future__ import annotations

from bot.app import Core
from bot.commands.context import Actor
from tests.fakes.slack_api import DEFAULT_TEAM
from tests.slack.conftest import ADMIN, SlackHarness, header

HOST_ADMIN = Actor("slack", DEFAULT_TEAM, "U0HOST", "host", platform_moderator=True, channel="C0")
GUEST_TEAM = "T0GUEST"


async def test_a_slack_connect_user_acts_in_their_own_workspace_s_community(
    slack: SlackHarness, slack_core: Core
) -> None:
    slack_core.dispatcher.shared_community = None  # a distributed app: no shared community
    made = await slack_core.dispatcher.run_text(
        '/tally tracker new host-only "Host" kind=approval rule=majority body=eu', HOST_ADMIN
    )
    assert made.ok, made.title
    guest = {"user_team": GUEST_TEAM}
    # An administrator of the guest workspace, in a channel the host shares: not the host's.
    write = await slack.command("declare FR support tracker=host-only", user=ADMIN, extra=guest)
    assert "No tracker 'host-only'" in header(write.post)
    listing = await slack.command("trackers", user=ADMIN, extra=guest)
    assert "host-only" not in str(listing.post.payload)
    own = await slack.command("community", user=ADMIN, extra=guest)
    assert "No community yet" in header(own.post)
    # The same person without user_team (their own workspace is the host): the host's tracker.
    home = await slack.command("trackers", user=ADMIN)
    assert "host-only" in str(home.post.payload)


async def test_a_direct_message_only_reads(slack: SlackHarness) -> None:
    write = await slack.command("declare LT support rutte", user=ADMIN, channel_id="D0DIRECT")
    assert "direct message" in header(write.post)
    read = await slack.command("", user=ADMIN, channel_id="D0DIRECT")
    assert "NATO Secretary General 2024" in header(read.post)
