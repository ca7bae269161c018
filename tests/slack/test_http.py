"""HTTP mode as `tallybot run` starts it: a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.slack.service import SlackService, start_slack
from bot.app import Core
from tests.fakes.slack_api import FakeSlackApi, signed_headers, slash_command_body
from tests.slack.conftest import LISTED, SECRET, declarations
from tests.slack.test_ack import hold_store


@pytest.fixture
async def service(slack_core: Core) -> AsyncIterator[SlackService]:
    started = await start_slack(slack_core, host="127.0.0.1")
    yield started
    await started.stop()


def events_url(service: SlackService) -> str:
    return f"http://127.0.0.1:{service.port}/slack/events"


async def post_command(
    api: FakeSlackApi, service: SlackService, text: str, secret: str = SECRET
) -> tuple[int, str]:
    key = uuid.uuid4().hex
    body = slash_command_body(text, api.response_url(key), user_id=LISTED[0], user_name=LISTED[1])
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            events_url(service), data=body.encode(), headers=signed_headers(secret, body)
        ) as response,
    ):
        return response.status, key


async def test_healthz(service: SlackService, slack_api: FakeSlackApi) -> None:
    assert service.mode == "http"
    assert [r.api for r in slack_api.requests] == ["auth.test"]  # token checked at start
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{service.port}/healthz") as response,
    ):
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


async def test_signed_command_over_http_is_answered(
    service: SlackService, slack_api: FakeSlackApi, slack_core: Core
) -> None:
    release, held = await hold_store(slack_core)
    try:
        status, key = await post_command(slack_api, service, "declare SK support rutte")
        assert status == 200  # the HTTP ack came back while the database was busy
        assert [p for p in slack_api.responses if p.key == key] == []
    finally:
        release.set()
        await held
    await slack_api.wait_for(lambda: any(p.key == key for p in slack_api.responses))
    [post] = [p for p in slack_api.responses if p.key == key]
    assert post.payload["response_type"] == "in_channel"
    assert len(await declarations(slack_core, "SK")) == 1


async def test_forged_request_over_http_is_401(
    service: SlackService,
    slack_api: FakeSlackApi,
    slack_core: Core,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="slack_bolt.RequestVerification")
    status, _ = await post_command(slack_api, service, "declare SK support rutte", "wrong")
    assert status == 401
    assert "Invalid request signature detected (body withheld)" in caplog.text
    assert "response_url" not in caplog.text and "declare SK" not in caplog.text
    await service.commands.drain()
    assert slack_api.responses == []
    assert await declarations(slack_core, "SK") == []


async def test_stop_ends_wait(service: SlackService) -> None:
    await service.stop()
    await service.wait()  # returns: the runner's gather in `tallybot run` would end
