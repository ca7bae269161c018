"""The running service: REST login, GET /gateway/bot, a websocket HELLO/IDENTIFY/READY on the
fake, then a slash command arriving over that gateway and answered over REST."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

import pytest

from adapters.discord.service import start_discord
from bot.alerts.channels import ChannelRef
from bot.app import Core
from bot.errors import ServiceFailed
from bot.replies import Reply
from bot.settings import Settings
from tests.discord.payloads import EVERYDAY, GUILD_ID, READER_ID, interaction, option
from tests.fakes.discord_api import FakeDiscord

EDITORS_ROLE = "600000000000000005"


async def eventually(check: Callable[[], object], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_the_whole_bot_runs_against_the_fake_gateway(
    demo_core: Core, fake: FakeDiscord
) -> None:
    fake.guilds[GUILD_ID] = {
        "name": "NATO watchers",
        "roles": [{"id": EDITORS_ROLE, "name": "Tally editors"}],
    }
    service = await start_discord(demo_core)
    try:
        await eventually(lambda: service.client.is_ready())
        assert fake.requests_to("/gateway/bot", "GET")
        assert fake.identified and fake.identified[0]["token"] == fake.token
        assert service.client.get_guild(int(GUILD_ID)) is not None  # GUILD_CREATE cached

        # A role named in TALLYBOT_DISCORD_MOD_ROLE, resolved from the guild cache.
        declare = interaction(
            ("declare",),
            [option("member", "TR"), option("stance", "support"), option("target", "rutte")],
            user_id=READER_ID,
            permissions=EVERYDAY,
            roles=(EDITORS_ROLE,),
        )
        await fake.dispatch("INTERACTION_CREATE", declare)
        await eventually(lambda: fake.callbacks)
        body = fake.callbacks[0]["body"]
        assert body["type"] == 4
        assert "Türkiye" in body["data"]["embeds"][0]["title"]
        assert not fake.requests_to(f"/guilds/{GUILD_ID}/roles")  # no REST needed

        channel = ChannelRef("discord", GUILD_ID, "900000000000000002")
        message_id = await service.sender.send(channel, Reply(title="alert"))
        assert fake.messages[-1].id == message_id
    finally:
        await service.stop()
    await asyncio.wait_for(service.wait(), 5)
    assert not fake.requests_to("/applications/")  # commands are not synced on connect


async def test_a_bad_token_stops_the_service_and_logs_no_token(
    demo_core: Core, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "not-the-right-token-s3cr3t"
    demo_core.settings = replace(demo_core.settings, discord_token=secret)
    with caplog.at_level(logging.INFO):
        service = await start_discord(demo_core)
        with pytest.raises(ServiceFailed) as failed:
            await asyncio.wait_for(service.wait(), 5)
        await service.stop()
    assert str(failed.value) == "DISCORD_TOKEN was rejected by Discord (401 Unauthorized)"
    assert secret not in caplog.text


def test_settings_read_the_application_id() -> None:
    settings = Settings.from_env({"DISCORD_APPLICATION_ID": "42", "DISCORD_TOKEN": "t"})
    assert settings.discord_application_id == "42"
    assert settings.discord_enabled


async def test_a_gateway_down_at_start_is_retried_in_one_line_each_time(
    demo_core: Core, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """REST answers, the websocket does not: every attempt is one line without a traceback,
    and the bot connects once the gateway is back."""
    fake.gateway_up = False
    with caplog.at_level(logging.INFO):
        service = await start_discord(demo_core)
        try:
            await eventually(lambda: "gateway" in _retries(caplog), 15)
            fake.gateway_up = True
            await eventually(lambda: service.client.is_ready(), 30)
        finally:
            await service.stop()
    assert fake.identified
    assert "Traceback" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records if r.name.startswith("discord"))
    assert demo_core.settings.discord_token not in caplog.text


def _retries(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
