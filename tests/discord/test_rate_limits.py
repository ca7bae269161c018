"""429 with Retry-After on the interaction callback and the follow-up webhook: honoured.

The fake records when each request arrived, so the waits are checked on its timestamps."""

from __future__ import annotations

from tests.discord.conftest import Bot
from tests.discord.payloads import interaction
from tests.fakes.discord_api import Fault

RETRY_AFTER = 0.3


async def test_callback_429_is_retried_after_the_advertised_delay(bot: Bot) -> None:
    bot.fake.fail_route("/interactions/", Fault(429, retry_after=RETRY_AFTER))
    await bot.run(interaction(("tally",)))
    attempts = bot.fake.requests_to("/interactions/", "POST")
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[0].headers["Via"] and attempts[0].headers["Retry-After"]
    assert attempts[1].at - attempts[0].at >= RETRY_AFTER
    assert len(bot.fake.callbacks) == 1  # answered once


async def test_follow_up_429_is_retried_after_the_advertised_delay(bot: Bot) -> None:
    bot.client.handler.defer_after = 0  # type: ignore[union-attr]
    bot.fake.fail_route("/webhooks/", Fault(429, retry_after=RETRY_AFTER), method="PATCH")
    await bot.run(interaction(("holdouts",)))
    edits = bot.fake.requests_to("/webhooks/", "PATCH")
    assert [e.status for e in edits] == [429, 200]
    assert edits[1].at - edits[0].at >= RETRY_AFTER
    assert "Not declared" in str(edits[1].body["embeds"][0])
