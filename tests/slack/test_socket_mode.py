"""Socket Mode as `tallybot run` starts it, against the fake's apps.connections.open + websocket."""

from __future__ import annotations

import dataclasses
import uuid

from adapters.slack.service import start_slack
from bot.app import Core
from tests.fakes.slack_api import DEFAULT_APP_TOKEN, FakeSlackApi, slash_command_fields
from tests.slack.conftest import LISTED, declarations


async def test_socket_mode_acks_the_envelope_then_answers(
    slack_core: Core, slack_api: FakeSlackApi
) -> None:
    slack_core.settings = dataclasses.replace(
        slack_core.settings, slack_app_token=DEFAULT_APP_TOKEN, slack_signing_secret=None
    )
    service = await start_slack(slack_core)
    try:
        assert service.mode == "socket"
        await slack_api.wait_for(lambda: slack_api.socket_connected)
        key = uuid.uuid4().hex
        fields = slash_command_fields(
            "declare SK support rutte",
            slack_api.response_url(key),
            user_id=LISTED[0],
            user_name=LISTED[1],
        )
        envelope_id = await slack_api.send_envelope("slash_commands", fields)
        await slack_api.wait_for(lambda: any(p.key == key for p in slack_api.responses))
        await service.commands.drain()
        assert [a["envelope_id"] for a in slack_api.socket_acks] == [envelope_id]
        [post] = [p for p in slack_api.responses if p.key == key]
        assert post.payload["response_type"] == "in_channel"
        assert len(await declarations(slack_core, "SK")) == 1
    finally:
        await service.stop()
    await service.wait()


async def test_socket_mode_health_follows_the_websocket(
    slack_core: Core, slack_api: FakeSlackApi
) -> None:
    slack_core.settings = dataclasses.replace(
        slack_core.settings, slack_app_token=DEFAULT_APP_TOKEN, slack_signing_secret=None
    )
    service = await start_slack(slack_core)
    try:
        await slack_api.wait_for(lambda: slack_api.socket_connected)
        check = await service.health()
        assert (check.name, check.up, check.details) == ("slack", True, {"mode": "socket"})
    finally:
        await service.stop()
    check = await service.health()
    assert check.as_json() == {"status": "down", "mode": "socket"}
