"""The "Share in channel" button posts the same read reply for everyone."""

from __future__ import annotations

import json

from adapters.slack.app import SharedReplies
from tests.slack.conftest import BOB, SlackHarness, header


def share_button_value(blocks: list[dict]) -> str:
    [actions] = [b for b in blocks if b["type"] == "actions"]
    return actions["elements"][0]["value"]


async def test_share_posts_the_same_reply_in_channel(slack: SlackHarness) -> None:
    private = (await slack.command("holdouts")).post
    value = share_button_value(private.blocks)
    clicked = await slack.click(value, user=BOB)
    assert clicked.status == 200
    shared, deleted = clicked.posts
    assert shared.payload["response_type"] == "in_channel"
    assert shared.payload["replace_original"] is False
    assert header(shared) == header(private)

    def content(blocks: list[dict]) -> list[dict]:
        return [b for b in blocks if b["type"] not in ("actions", "context")]

    assert content(shared.blocks) == content(private.blocks)
    assert not [b for b in shared.blocks if b["type"] == "actions"]
    assert "Shared by bob." in json.dumps(shared.blocks[-1])
    assert deleted.payload["delete_original"] is True


async def test_share_after_a_restart_reruns_the_same_read(slack: SlackHarness) -> None:
    private = (await slack.command("position HU")).post
    slack.commands.shares = SharedReplies()  # what a restart loses
    clicked = await slack.click(share_button_value(private.blocks))
    shared = clicked.posts[0]
    assert shared.payload["response_type"] == "in_channel"
    assert header(shared) == header(private)


async def test_a_forged_share_of_a_write_command_is_refused(slack: SlackHarness) -> None:
    value = json.dumps({"k": "unknown", "q": "declare SK support rutte"})
    clicked = await slack.click(value)
    [answer] = clicked.posts
    assert answer.payload["response_type"] == "ephemeral"
    assert "expired" in answer.payload["text"]
