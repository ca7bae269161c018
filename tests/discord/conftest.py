"""A logged-in TallyClient on the demo tracker, its REST pointed at a local fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket

from adapters.discord.client import TallyClient
from bot.app import Core
from bot.settings import Settings
from tests.conftest import Clock, open_demo_core
from tests.fakes.discord_api import FakeDiscord


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        # Class attributes discord.py reads globally: restored after each test.
        monkeypatch.setattr(discord.http.Route, "BASE", server.api_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)
        yield server


@pytest.fixture
def discord_settings(db_path: Path, fake: FakeDiscord) -> Settings:
    return Settings(
        db_path=db_path,
        # One deployment, one community: these suites test the platforms, not tenancy.
        shared_community="local",
        discord_token=fake.token,
        discord_api_url=fake.api_url,
        discord_mod_role="Tally editors",
    )


@pytest.fixture
async def demo_core(discord_settings: Settings, clock: Clock) -> AsyncIterator[Core]:
    core = await open_demo_core(discord_settings, clock)
    yield core
    core.close()


@dataclass
class Bot:
    """The client under test, and what its tree reported as errors (each fails the test)."""

    client: TallyClient
    fake: FakeDiscord
    core: Core
    errors: list[BaseException] = field(default_factory=list)

    async def run(self, payload: dict[str, Any]) -> None:
        """Run one interaction to completion through discord.py's own tree."""
        interaction = discord.Interaction(data=payload, state=self.client._connection)
        await self.client.tree._call(interaction)
        if self.errors:
            raise AssertionError(f"the command tree reported: {self.errors!r}") from self.errors[0]

    def last_callback(self) -> dict[str, Any]:
        assert self.fake.callbacks, "Discord received no interaction callback"
        return self.fake.callbacks[-1]["body"]

    def last_embed(self) -> dict[str, Any]:
        embeds = self.last_callback()["data"]["embeds"]
        assert len(embeds) == 1
        return embeds[0]


@pytest.fixture
async def bot(demo_core: Core, discord_settings: Settings, fake: FakeDiscord) -> AsyncIterator[Bot]:
    client = TallyClient(demo_core.dispatcher, demo_core.store, discord_settings)
    under_test = Bot(client, fake, demo_core)

    @client.tree.error
    async def record(interaction: discord.Interaction, error: Exception) -> None:
        under_test.errors.append(error)

    await client.login(fake.token)
    yield under_test
    await client.close()


def embed_text(embed: dict[str, Any]) -> str:
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)
