"""/tally chart in Slack: a read answers privately; sharing it posts both PNGs in the channel
through files upload v2 (Slack cannot show a file to one person)."""

from __future__ import annotations

import json

from tests.fakes.slack_api import FakeSlackApi
from tests.pictures.conftest import PNG_SIGNATURE, pixels
from tests.slack.conftest import BOB, SlackHarness, header
from tests.slack.test_share import share_button_value


async def test_chart_answers_privately_and_uploads_nothing_yet(
    slack: SlackHarness, slack_api: FakeSlackApi
) -> None:
    answer = await slack.command("chart nato-sg-2024")

    assert answer.post.payload["response_type"] == "ephemeral"
    assert "Charts — NATO Secretary General 2024" in header(answer.post)
    assert "Share in channel to post nato-sg-2024-card-2026-11-23.png" in json.dumps(
        answer.post.blocks
    )
    assert slack_api.files == []


async def test_sharing_the_chart_uploads_both_pngs_with_upload_v2(
    slack: SlackHarness, slack_api: FakeSlackApi
) -> None:
    private = (await slack.command("chart")).post
    clicked = await slack.click(share_button_value(private.blocks), user=BOB)

    steps = [c.api for c in slack_api.requests if c.api and c.api.startswith("files.")]
    assert steps == ["files.getUploadURLExternal", "files.completeUploadExternal"] * 2
    card, timeline = slack_api.files
    assert card.filename == "nato-sg-2024-card-2026-11-23.png"
    assert timeline.filename == "nato-sg-2024-timeline-2026-11-23.png"
    for uploaded in (card, timeline):
        assert uploaded.channel == "C0GENERAL"
        assert uploaded.content.startswith(PNG_SIGNATURE)
        assert pixels(uploaded.content).shape[1] == 1000
    shared = clicked.posts[0]
    assert shared.payload["response_type"] == "in_channel"
    assert "Share in channel to post" not in json.dumps(shared.blocks)
