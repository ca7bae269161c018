"""SlackSender: the alert path (chat.postMessage) and how each failure is reported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.sender import SlackSender, create_sender
from bot.alerts.channels import (
    ChannelGone,
    ChannelRef,
    Rejected,
    RetryLater,
    TransientFailure,
)
from bot.replies import Colour, Field, Reply, Visibility
from bot.settings import Settings
from tests.fakes.slack_api import DEFAULT_TEAM, DEFAULT_TOKEN, FakeSlackApi, RateLimit

REPLY = Reply(
    title="Recorded: Hungary supports Mark Rutte",
    lines=("Quote: “<!channel> we back him” — <@U0BOB|bob>",),
    fields=(Field("Support Mark Rutte (29)", ("Hungary (HU)", "Estonia (EE)")),),
    context=("source https://example.org/hu",),
    colour=Colour.PENDING,
    visibility=Visibility.PUBLIC,
)


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def api(frozen: FrozenClock) -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(clock=frozen, global_limit=RateLimit(3, 1.0)) as fake:
        yield fake


@pytest.fixture
def sender(api: FakeSlackApi, tmp_path: Path) -> SlackSender:
    settings = Settings(
        db_path=tmp_path / "x.db", slack_bot_token=DEFAULT_TOKEN, slack_api_url=api.api_url
    )
    made = create_sender(settings)
    made.timeout = 0.5  # the hang test waits this long
    return made


def channel(name: str) -> ChannelRef:
    return ChannelRef("slack", DEFAULT_TEAM, name)


async def test_send_posts_block_kit_and_returns_the_ts(
    sender: SlackSender, api: FakeSlackApi
) -> None:
    ts = await sender.send(channel("C1"), REPLY)
    [message] = api.messages
    assert (message.channel, message.ts) == ("C1", ts)
    assert message.blocks[0]["text"]["text"] == "⏳ Recorded: Hungary supports Mark Rutte"
    assert "<!channel>" not in str(message.payload) and "<@U0BOB" not in str(message.payload)
    assert message.payload["unfurl_links"] is False
    assert "link_names" not in message.payload
    assert sender.platform == "slack"
    assert sender.client.retry_handlers == []  # the alert dispatcher does the retrying


async def test_rate_limits_per_channel_and_global(
    sender: SlackSender, api: FakeSlackApi, frozen: FrozenClock
) -> None:
    await sender.send(channel("C1"), REPLY)
    with pytest.raises(RetryLater) as limited:
        await sender.send(channel("C1"), REPLY)
    assert limited.value.retry_after == 1.0
    await sender.send(channel("C2"), REPLY)
    await sender.send(channel("C3"), REPLY)
    with pytest.raises(RetryLater):
        await sender.send(channel("C4"), REPLY)  # the global limit (3/s here)
    frozen.now += 1.0
    await sender.send(channel("C1"), REPLY)
    assert [m.channel for m in api.messages] == ["C1", "C2", "C3", "C1"]


async def test_429_carries_retry_after(sender: SlackSender, api: FakeSlackApi) -> None:
    api.fault("C1", "ratelimit", retry_after=7, times=1)
    with pytest.raises(RetryLater) as limited:
        await sender.send(channel("C1"), REPLY)
    assert limited.value.retry_after == 7.0
    await sender.send(channel("C1"), REPLY)  # the fault was for one call only
    assert len(api.messages) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
async def test_gone_channels(sender: SlackSender, api: FakeSlackApi, error: str) -> None:
    api.fault("C1", "error", error=error)
    with pytest.raises(ChannelGone, match=error):
        await sender.send(channel("C1"), REPLY)
    assert api.messages == []


@pytest.mark.parametrize(
    "error",
    ["invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments"],
)
async def test_a_message_slack_refuses_for_good_is_rejected(
    sender: SlackSender, api: FakeSlackApi, error: str
) -> None:
    """The same message would get the same answer: the dispatcher must not retry it."""
    api.fault("C1", "error", error=error)
    with pytest.raises(Rejected, match=error) as caught:
        await sender.send(channel("C1"), REPLY)
    assert DEFAULT_TOKEN not in str(caught.value)
    assert api.messages == []


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
async def test_a_token_problem_is_transient_not_rejected(
    sender: SlackSender, api: FakeSlackApi, error: str
) -> None:
    """It hits every channel alike until an operator fixes the token: keep the alerts."""
    api.fault("C1", "error", error=error)
    with pytest.raises(TransientFailure, match=error):
        await sender.send(channel("C1"), REPLY)


async def test_server_errors_and_hangs_are_transient(
    sender: SlackSender, api: FakeSlackApi
) -> None:
    api.fault("C1", "server_error")
    with pytest.raises(TransientFailure):
        await sender.send(channel("C1"), REPLY)
    api.fault("C2", "hang")
    with pytest.raises(TransientFailure):
        await sender.send(channel("C2"), REPLY)
    assert len(api.calls("chat.postMessage")) == 2  # no retry inside the sender
    assert api.messages == []


async def test_unreachable_slack_is_transient(tmp_path: Path) -> None:
    async with FakeSlackApi() as gone:
        url = gone.api_url
    settings = Settings(db_path=tmp_path / "x.db", slack_bot_token="xoxb-x", slack_api_url=url)
    with pytest.raises(TransientFailure):
        await create_sender(settings).send(channel("C1"), REPLY)


def test_create_sender_needs_a_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        create_sender(Settings(db_path=tmp_path / "x.db"))
