"""Slack and communities: a Slack Connect user's rights and view come from their own
workspace (`user_team`), never the host of the shared channel; direct messages only read."""

from __future__ import annotations

from typing import Any

from bot.app import Core
from bot.commands.context import Actor
from store.thread import as_sqlite
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


async def test_an_enterprise_grid_workspace_keeps_its_organisation(
    slack: SlackHarness, slack_core: Core
) -> None:
    slack_core.dispatcher.shared_community = None
    extra = {"user_team": "T0GRID", "enterprise_id": "E0ORG"}
    made = await slack.command(
        'tracker new grid "Grid" kind=approval rule=majority body=eu', user=ADMIN, extra=extra
    )
    assert "New tracker grid" in header(made.post)

    def membership(tx: Any) -> list[tuple[str, str, str | None]]:
        rows = as_sqlite(tx).records.db.execute(
            "SELECT platform, workspace, enterprise FROM community_members WHERE workspace = ?",
            ["T0GRID"],
        )
        return [tuple(r) for r in rows]

    assert slack_core.store.run_blocking(membership, write=False) == [("slack", "T0GRID", "E0ORG")]
