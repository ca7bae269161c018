"""TALLYBOT_DISCORD_SHARDS: the running service on discord.py's AutoShardedClient against the
fake gateway, which routes each guild's events to the shard Discord's rule gives it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from adapters.discord.client import ShardedTallyClient, ShardState
from adapters.discord.service import start_discord
from bot.app import Core
from bot.settings import DiscordShards
from tests.discord.payloads import interaction
from tests.discord.test_service import eventually
from tests.fakes.discord_api import FakeDiscord, shard_for

COUNT = 4
SHARD_WAIT = 20.0
"""discord.py IDENTIFYs a process's shards 5 s apart (Discord's pace): room for two."""


def guild_on(shard: int) -> str:
    """A guild id that Discord's rule puts on `shard` of COUNT."""
    guild_id = str(((7000 * COUNT + shard) << 22) | 12345)
    assert shard_for(guild_id, COUNT) == shard
    return guild_id


async def test_two_of_four_shards_identify_and_answer_their_guilds(
    demo_core: Core, fake: FakeDiscord
) -> None:
    guilds = {shard: guild_on(shard) for shard in range(COUNT)}
    for shard, gid in guilds.items():
        fake.guilds[gid] = {"name": f"Guild on shard {shard}", "roles": []}
    demo_core.settings = replace(demo_core.settings, discord_shards=DiscordShards((0, 1), COUNT))
    service = await start_discord(demo_core)
    try:
        client = service.client
        assert isinstance(client, ShardedTallyClient)
        await eventually(lambda: len(fake.connected_shards()) == 2, SHARD_WAIT)
        await eventually(client.is_ready, SHARD_WAIT)

        shards = sorted(tuple(i["shard"]) for i in fake.identified)
        assert shards == [(0, COUNT), (1, COUNT)]
        assert all(i["token"] == fake.token for i in fake.identified)
        # Only the guilds of this process's shards arrive (GUILD_CREATE per shard).
        assert {g.id for g in client.guilds} == {int(guilds[0]), int(guilds[1])}
        # The count is ours, not the one GET /gateway/bot recommends (asked only for the
        # fake's gateway address).
        assert fake.recommended_shards == 1

        def answered(interaction_id: str) -> bool:
            return any(c["interaction_id"] == interaction_id for c in fake.callbacks)

        for shard in (0, 1):
            asked = interaction(("tally",), guild_id=guilds[shard])
            await fake.dispatch("INTERACTION_CREATE", asked)
            await eventually(lambda asked_id=asked["id"]: answered(asked_id))
            body = fake.callbacks[-1]["body"]
            assert body["type"] == 4
            assert "NATO" in body["data"]["embeds"][0]["title"]

        await eventually(lambda: all(s.connected for s in client.gateway_states()))
        states = client.gateway_states()
        assert [s.shard for s in states] == [0, 1]
        assert all(isinstance(s, ShardState) for s in states)

        # A guild on shard 2 belongs to another process: nothing here answers it.
        before = len(fake.callbacks)
        await fake.dispatch("INTERACTION_CREATE", interaction(("tally",), guild_id=guilds[2]))
        await asyncio.sleep(0.5)
        assert len(fake.callbacks) == before
    finally:
        await service.stop()
    await asyncio.wait_for(service.wait(), 5)
    assert fake.connected_shards() == []
