"""DiscordSender against the fake: delivery, faults mapped for the alert dispatcher, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord.sender import DiscordSender, create_sender
from bot.alerts.channels import (
    ChannelGone,
    ChannelRef,
    Rejected,
    RetryLater,
    TransientFailure,
)
from bot.replies import Field, Reply
from bot.settings import Settings
from tests.fakes.discord_api import FakeDiscord, Fault

CHANNEL = "900000000000000002"
REPLY = Reply(
    title="Türkiye backs Mark Rutte @everyone",
    lines=("Rutte backed by 29 of 32",),
    fields=(Field("Quote", ("<@800000000000000002> said yes",)),),
)


def ref(channel: str = CHANNEL) -> ChannelRef:
    return ChannelRef("discord", "900000000000000001", channel)


@pytest.fixture
async def sender(discord_settings: Settings) -> AsyncIterator[DiscordSender]:
    instance = await create_sender(discord_settings, timeout=5.0)
    yield instance
    await instance.close()


async def test_posts_an_embed_that_pings_nobody(sender: DiscordSender, fake: FakeDiscord) -> None:
    message_id = await sender.send(ref(), REPLY)
    [posted] = fake.messages
    assert (posted.channel_id, posted.id) == (CHANNEL, message_id)
    assert posted.payload["allowed_mentions"] == {"parse": []}
    assert posted.payload["embeds"][0]["title"] == "Türkiye backs Mark Rutte @\u200beveryone"
    assert not fake.requests_to("/gateway")  # REST only


async def test_a_repeated_alert_key_returns_the_first_message(
    sender: DiscordSender, fake: FakeDiscord
) -> None:
    """A retry after an accept that was never recorded (timeout, crash) posts nothing new."""
    first = await sender.send(ref(), REPLY, key="tally-41")
    again = await sender.send(ref(), REPLY, key="tally-41")
    other = await sender.send(ref(), REPLY, key="tally-42")
    assert first == again != other
    assert [m.payload["nonce"] for m in fake.messages] == ["tally-41", "tally-42"]
    assert all(m.payload["enforce_nonce"] is True for m in fake.messages)


async def test_short_429_is_honoured_by_discord_py(
    sender: DiscordSender, fake: FakeDiscord
) -> None:
    fake.fail_channel(CHANNEL, Fault(429, retry_after=0.25))
    await sender.send(ref(), REPLY)
    attempts = fake.requests_to(f"/channels/{CHANNEL}/messages")
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.25


async def test_long_429_becomes_retry_later(sender: DiscordSender, fake: FakeDiscord) -> None:
    fake.fail_channel(CHANNEL, Fault(429, retry_after=120))
    with pytest.raises(RetryLater) as caught:
        await sender.send(ref(), REPLY)
    assert caught.value.retry_after == 120
    assert len(fake.requests_to(f"/channels/{CHANNEL}/messages")) == 1
    assert fake.messages == []


@pytest.mark.parametrize("status", [403, 404])
async def test_missing_access_or_channel_is_channel_gone(
    sender: DiscordSender, fake: FakeDiscord, status: int
) -> None:
    fake.fail_channel(CHANNEL, Fault(status))
    with pytest.raises(ChannelGone):
        await sender.send(ref(), REPLY)


@pytest.mark.parametrize("status", [400, 413])
async def test_a_message_discord_refuses_for_good_is_rejected(
    sender: DiscordSender, fake: FakeDiscord, status: int
) -> None:
    fake.fail_channel(CHANNEL, Fault(status))
    with pytest.raises(Rejected, match=f"HTTP {status}") as caught:
        await sender.send(ref(), REPLY)
    assert fake.token not in str(caught.value)
    assert len(fake.requests_to(f"/channels/{CHANNEL}/messages")) == 1  # not retried
    assert fake.messages == []


async def test_a_refused_token_is_transient_not_rejected(
    sender: DiscordSender, fake: FakeDiscord
) -> None:
    fake.fail_channel(CHANNEL, Fault(401))
    with pytest.raises(TransientFailure, match="401"):
        await sender.send(ref(), REPLY)


async def test_server_error_is_transient(sender: DiscordSender, fake: FakeDiscord) -> None:
    fake.fail_channel(CHANNEL, Fault(503))
    with pytest.raises(TransientFailure):
        await sender.send(ref(), REPLY)


async def test_retried_500s_and_hangs_end_within_the_timeout(
    sender: DiscordSender, fake: FakeDiscord
) -> None:
    sender.timeout = 0.3
    fake.fail_channel(CHANNEL, Fault(500, times=None))
    with pytest.raises(TransientFailure):
        await sender.send(ref(), REPLY)
    assert fake.requests_to(f"/channels/{CHANNEL}/messages")[0].status == 500
    fake.clear_faults()
    fake.fail_channel("42", Fault(hang=True))
    with pytest.raises(TransientFailure):
        await sender.send(ref("42"), REPLY)


async def test_channel_rate_limit_headers_pace_discord_py(
    sender: DiscordSender, fake: FakeDiscord
) -> None:
    fake.channel_limit = (2, 0.4)
    ids = [await sender.send(ref(), REPLY) for _ in range(5)]
    assert len(set(ids)) == 5
    statuses = [r.status for r in fake.requests_to(f"/channels/{CHANNEL}/messages")]
    assert statuses == [200] * 5  # discord.py waited on X-RateLimit-Remaining: 0, no 429
    times = [m.at for m in fake.messages]
    assert times[2] - times[0] >= 0.35


async def test_global_limit_429_is_waited_out(sender: DiscordSender, fake: FakeDiscord) -> None:
    fake.set_global_limit(2, 0.3)
    for channel in ("1", "2", "3", "4"):
        await sender.send(ref(channel), REPLY)
    assert [m.channel_id for m in fake.messages] == ["1", "2", "3", "4"]
    limited = [r for r in fake.requests if r.status == 429]
    assert limited and limited[0].body is not None
    assert limited[0].headers.get("X-RateLimit-Global") == "true"


async def test_not_a_discord_channel_id(sender: DiscordSender) -> None:
    with pytest.raises(ChannelGone):
        await sender.send(ref("general"), REPLY)
