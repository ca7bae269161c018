"""/tally export in Slack: the file goes up with files upload v2 and lands in the channel."""

from __future__ import annotations

import csv
import io
import json

from bot.app import Core
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.conftest import ADMIN, ANN, SlackHarness, header


async def test_export_uploads_the_json_file_in_the_channel(
    slack: SlackHarness, slack_api: FakeSlackApi, slack_core: Core
) -> None:
    answer = await slack.command("export nato-sg-2024", user=ADMIN)

    assert [c.api for c in slack_api.requests if c.api and c.api.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    (uploaded,) = slack_api.files
    assert uploaded.channel == "C0GENERAL"
    assert uploaded.filename == "nato-sg-2024-2026-11-23.json"
    document = json.loads(uploaded.content)
    assert (document["format"], document["version"]) == ("tallybot-tracker", 1)
    count = await slack_core.store.run(lambda tx: tx.records.count_declarations(1))
    assert len(document["declarations"]) == count
    assert answer.post.payload["response_type"] == "in_channel"
    assert f"Export of nato-sg-2024: {count} declarations (JSON)" in header(answer.post)


async def test_export_csv_sends_the_exact_bytes(
    slack: SlackHarness, slack_api: FakeSlackApi
) -> None:
    await slack.command("export format=csv", user=ADMIN)

    (uploaded,) = slack_api.files
    length = int(slack_api.calls("files.getUploadURLExternal")[0].payload["length"])
    assert length == len(uploaded.content)
    assert uploaded.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(uploaded.content.decode("utf-8-sig"))))
    hungary = [r for r in rows if r["member code"] == "HU"]
    assert hungary and hungary[0]["stance"] == "oppose"


async def test_a_channel_the_bot_is_not_in_gets_a_sentence(
    slack: SlackHarness, slack_api: FakeSlackApi
) -> None:
    slack_api.fault("C0GENERAL", "error", error="not_in_channel")

    answer = await slack.command("export", user=ADMIN)

    assert slack_api.files == []
    assert answer.post.payload["response_type"] == "ephemeral"
    assert "/invite @tallybot" in header(answer.post)


async def test_export_is_for_moderators(slack: SlackHarness, slack_api: FakeSlackApi) -> None:
    answer = await slack.command("export", user=ANN)

    assert slack_api.files == []
    assert "Only moderators" in header(answer.post)
