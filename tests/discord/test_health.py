"""`/healthz` in process: the database read through the store contract (timed, or "down" with
its error class), the Discord gateway per shard, 200 when all is up and 503 otherwise."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.discord.service import DiscordService, start_discord
from adapters.web.health import mount_health
from bot.app import Core
from bot.health import health_report
from bot.settings import DiscordShards, Settings
from bot.storage import Transaction
from tallybot.wiring import open_core
from tests.discord.test_service import eventually
from tests.fakes.discord_api import FakeDiscord


async def served(core: Core, service: DiscordService | None) -> TestClient:
    application = web.Application()
    sources = [service] if service is not None else []
    mount_health(lambda: health_report(core.store, sources, core.dispatcher.draining))(application)
    client = TestClient(TestServer(application))
    await client.start_server()
    return client


@pytest.fixture
async def discord_service(demo_core: Core, fake: FakeDiscord) -> AsyncIterator[DiscordService]:
    demo_core.settings = replace(demo_core.settings, discord_shards=DiscordShards((1,), 2))
    service = await start_discord(demo_core)
    yield service
    await service.stop()


async def test_all_up_is_200_with_the_database_latency_and_each_shard(
    demo_core: Core, fake: FakeDiscord, discord_service: DiscordService
) -> None:
    await eventually(lambda: fake.connected_shards() == [(1, 2)], 10)
    await eventually(discord_service.client.is_ready)
    client = await served(demo_core, discord_service)
    try:
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 200, body
        assert body["status"] == "ok"
        assert body["database"]["status"] == "up"
        assert body["database"]["latency_ms"] >= 0
        assert body["discord"]["status"] == "up"
        assert body["discord"]["shard_count"] == 2
        [shard] = body["discord"]["gateway"]
        assert shard["shard"] == 1 and shard["connected"] is True
        assert fake.token not in json.dumps(body)
        assert response.headers["Cache-Control"] == "no-store"

        # The gateway goes away: Discord is down, so is the bot (503), the database still up.
        fake.gateway_up = False
        for ws in list(fake._sockets):
            await ws.close()
        await eventually(lambda: not discord_service.client.gateway_states()[0].connected)
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 503, body
        assert body["status"] == "down"
        assert body["discord"]["status"] == "down"
        assert body["discord"]["gateway"][0]["connected"] is False
        assert body["discord"]["gateway"][0]["latency_ms"] is None
        assert body["database"]["status"] == "up"

        # Draining after SIGTERM: 503 so a balancer stops sending work.
        demo_core.dispatcher.draining = True
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["status"] == "draining"
    finally:
        await client.close()


async def test_a_busy_database_is_down_with_its_error_class_only(demo_core: Core) -> None:
    """A unit of work holding the store for 3 s: the check's read waits behind it, so after
    its 2 s the database is reported down (TimeoutError), with no message; then up again."""

    def long_transaction(tx: Transaction) -> None:
        time.sleep(3)

    client = await served(demo_core, None)
    try:
        busy = asyncio.ensure_future(demo_core.store.run(long_transaction, write=True))
        await asyncio.sleep(0.1)
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 503, body
        assert body == {"status": "down", "database": {"status": "down", "error": "TimeoutError"}}
        await busy
        response = await client.get("/healthz")
        assert response.status == 200
        assert (await response.json())["database"]["status"] == "up"
    finally:
        await client.close()


async def test_a_closed_store_is_down(discord_settings: Settings) -> None:
    core = open_core(discord_settings)
    client = await served(core, None)
    try:
        core.close()
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 503
        assert body["database"] == {"status": "down", "error": "RuntimeError"}
    finally:
        await client.close()
