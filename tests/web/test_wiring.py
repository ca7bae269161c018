"""`tallybot run` serves the pages on PORT: on Slack's HTTP application when Slack runs in HTTP
mode, else on a server of their own when PORT is set."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.async_app import AsyncApp

from adapters.slack.http import web_application
from adapters.web.service import mount_pages
from bot.app import Core
from tallybot.run import pages_beside
from tests.web.conftest import PRIVATE, PUBLIC


async def test_slack_http_mode_serves_the_pages_on_its_application(web_core: Core) -> None:
    bolt = AsyncApp(signing_secret="secret", token="xoxb-test")
    application = web_application(bolt, 0, mount_pages(web_core))
    async with TestClient(TestServer(application)) as client:
        assert (await client.get("/healthz")).status == 200
        page = await client.get(f"/t/{PUBLIC}")
        assert page.status == 200 and "28 of 32" in await page.text()
        assert (await client.get(f"/t/{PRIVATE}")).status == 404
        unsigned = await client.post("/slack/events", data=b"{}")
        assert unsigned.status == 401  # Slack's route is still Bolt's, signature checked


async def test_pages_get_their_own_server_when_port_is_set(web_core: Core) -> None:
    started = await pages_beside(web_core, False, env={"PORT": "0"})
    assert [s.name for s in started] == ["public pages"]
    service = started[0]
    port = service.runner.addresses[0][1]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/t/{PUBLIC}.json") as response,
        ):
            assert response.status == 200
            assert (await response.json())["tracker"] == PUBLIC
    finally:
        await service.stop()
    await service.wait()  # returns once stopped


async def test_no_second_server_beside_slack_http_or_without_port(web_core: Core) -> None:
    assert await pages_beside(web_core, True, env={"PORT": "0"}) == []
    assert await pages_beside(web_core, False, env={}) == []
