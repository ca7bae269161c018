"""No response_url reaches the logs, at DEBUG, from our loggers or Slack's libraries."""

from __future__ import annotations

import logging
import re

import pytest

from tallybot.logs import install_redaction
from tests.fakes.slack_api import FakeSlackApi, signed_headers, slash_command_body
from tests.slack.conftest import LISTED, SlackHarness


async def test_response_urls_never_reach_the_logs(
    slack: SlackHarness, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # root: every library logger included
    install_redaction()  # what the launcher does, here onto the capturing handler
    answers = [
        await slack.command("tally"),
        await slack.command("declare SK support rutte", user=LISTED),
        await slack.command("declare XX support rutte", user=LISTED),  # an error reply
    ]
    forged = slash_command_body("tally", slack_api.response_url("forged-capability"))
    refused = await slack.send(forged, signed_headers("wrong secret", forged))
    assert [a.status for a in answers] == [200, 200, 200]
    assert refused.status == 401
    assert all(a.posts for a in answers)  # each answer went out through its response_url

    secrets = [*(p.key for a in answers for p in a.posts), "forged-capability"]
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("slack_sdk") for r in caplog.records)  # DEBUG was captured
    for secret in secrets:
        assert secret not in logged
    assert not re.search(r"/hooks/(?!\[redacted\])", logged)
    assert "[redacted]" in logged  # the webhook client did log its URL, redacted
