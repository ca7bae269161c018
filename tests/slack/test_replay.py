"""A replayed Slack request is refused, by every process sharing the database.

Requests go through Bolt's real path (signature check first, then our replay middleware); the
second "process" is a second core opened on the same SQLite file, with its own Bolt app. A
replayed write gets Slack's usual empty 200 ack (the ack never waits for the database) and has
no effect: nothing written, nothing answered through its response_url.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.app import build_app
from adapters.slack.client import interactive_client
from adapters.slack.service import SlackService, start_slack
from bot.app import Core
from bot.settings import Settings
from store.database import open_database
from store.guards import GuardRepository
from tallybot.wiring import open_core
from tests.conftest import Clock
from tests.database import read
from tests.fakes.slack_api import (
    DEFAULT_TOKEN,
    FakeSlackApi,
    signed_headers,
    slash_command_body,
)
from tests.slack.conftest import LISTED, SECRET, SlackHarness, declarations


def declare_request(api: FakeSlackApi) -> tuple[str, dict[str, str], str]:
    key = uuid.uuid4().hex
    body = slash_command_body(
        "declare SK support rutte", api.response_url(key), user_id=LISTED[0], user_name=LISTED[1]
    )
    return body, signed_headers(SECRET, body), key


def seen_rows(path: Path) -> int:
    return int(read(path, "SELECT count(*) FROM seen_requests")[0][0])


async def test_the_same_signed_request_twice_is_refused_and_writes_once(
    slack: SlackHarness,
    slack_api: FakeSlackApi,
    slack_core: Core,
    slack_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, headers, key = declare_request(slack_api)
    first = await slack.send(body, headers)
    await slack.commands.drain()
    again = await slack.send(body, headers)
    await slack.commands.drain()
    assert (first.status, again.status) == (200, 200)
    assert len(await declarations(slack_core, "SK")) == 1
    assert len(slack.posts(key)) == 1  # answered once
    assert seen_rows(slack_settings.db_path) == 1
    assert "ignored a replayed Slack request" in caplog.text
    fresh_body, fresh_headers, fresh_key = declare_request(slack_api)  # a new one still works
    assert (await slack.send(fresh_body, fresh_headers)).status == 200
    await slack.commands.drain()
    assert len(slack.posts(fresh_key)) == 1


async def test_a_replayed_read_is_answered_again_and_not_recorded(
    slack: SlackHarness, slack_api: FakeSlackApi, slack_settings: Settings
) -> None:
    """A read can only post its answer again to the captured response_url, which its holder
    can post to anyway: reads are not recorded (no write per read, the read cache kept)."""
    key = uuid.uuid4().hex
    body = slash_command_body("tally", slack_api.response_url(key))
    headers = signed_headers(SECRET, body)
    for _ in range(2):
        assert (await slack.send(body, headers)).status == 200
        await slack.commands.drain()
    assert len(slack.posts(key)) == 2
    assert seen_rows(slack_settings.db_path) == 0


async def test_a_second_process_on_the_same_database_refuses_it_too(
    slack: SlackHarness,
    slack_api: FakeSlackApi,
    slack_core: Core,
    slack_settings: Settings,
    clock: Clock,
) -> None:
    other_core = open_core(slack_settings, clock)
    other_app, other_commands = build_app(
        other_core, interactive_client(DEFAULT_TOKEN, slack_api.api_url), signing_secret=SECRET
    )
    other = SlackHarness(other_app, other_commands, slack_api)
    try:
        body, headers, key = declare_request(slack_api)
        assert (await slack.send(body, headers)).status == 200
        await slack.commands.drain()
        assert (await other.send(body, headers)).status == 200
        await other.commands.drain()
        assert len(await declarations(slack_core, "SK")) == 1
        assert len(slack.posts(key)) == 1
    finally:
        await other_commands.drain()
        await other_commands.response_urls.close()
        other_core.close()


async def test_a_forged_signature_is_refused_before_anything_is_recorded(
    slack: SlackHarness, slack_api: FakeSlackApi, slack_settings: Settings
) -> None:
    body, _, _ = declare_request(slack_api)
    assert (await slack.send(body, signed_headers("wrong", body))).status == 401
    assert seen_rows(slack_settings.db_path) == 0


@pytest.fixture
async def service(slack_core: Core) -> AsyncIterator[SlackService]:
    started = await start_slack(slack_core, host="127.0.0.1")
    yield started
    await started.stop()


async def test_replay_over_http_has_no_effect(
    service: SlackService, slack_api: FakeSlackApi, slack_core: Core
) -> None:
    body, headers, key = declare_request(slack_api)
    url = f"http://127.0.0.1:{service.port}/slack/events"
    statuses = []
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(url, data=body.encode(), headers=headers) as response:
                statuses.append(response.status)
    assert statuses == [200, 200]
    await slack_api.wait_for(lambda: any(p.key == key for p in slack_api.responses))
    await service.commands.drain()
    assert len(await declarations(slack_core, "SK")) == 1
    assert len([p for p in slack_api.responses if p.key == key]) == 1


def test_expired_requests_are_pruned_and_may_come_again(tmp_path: Path) -> None:
    """Past Bolt's window the row goes (Bolt itself refuses such a timestamp by then)."""
    db = open_database(tmp_path / "guards.db")
    try:
        guards = GuardRepository(db)
        sent = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        expires = sent + timedelta(minutes=6)
        stamp = int(sent.timestamp())
        assert guards.first_sight("v0=aa", stamp, expires, sent)
        assert not guards.first_sight("v0=aa", stamp, expires, sent + timedelta(minutes=5))
        assert guards.first_sight("v0=bb", stamp, expires, sent + timedelta(minutes=7))
        assert db.execute("SELECT signature FROM seen_requests").fetchall() == [("v0=bb",)]
        assert guards.first_sight("v0=aa", stamp, expires, sent + timedelta(minutes=7))
    finally:
        db.close()
