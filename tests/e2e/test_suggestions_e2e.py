"""Suggest and review in the running bot (`python -m tallybot run`, both fakes): a Slack reader
suggests, a Discord moderator's button press confirms it, and the Slack suggester hears of it:
the process wires each platform's sender as the way to tell people directly."""

from __future__ import annotations

import json
import signal

from tests.discord.payloads import EVERYDAY, MANAGE_GUILD, component, interaction
from tests.e2e.test_whole_bot import (  # noqa: F401  (the `world` fixture)
    World,
    declaration_count,
    discord_command,
    slack_answer,
    until,
    world,
)

SLACK_READER = ("U0ANN", "ann")
SUGGEST = (
    "suggest HU support rutte source=https://example.org/hu date=2024-06-18 "
    'quote="<!channel> we back him"'
)


async def test_a_slack_suggestion_confirmed_from_discord_tells_the_suggester(
    world: World,  # noqa: F811
) -> None:
    world.slack.add_user(*SLACK_READER)
    before = declaration_count(world.bot.db)
    sent = await slack_answer(world, SUGGEST, SLACK_READER, "C0DESK")
    assert sent["response_type"] == "ephemeral" and "Sent to the moderators" in sent["text"]
    assert declaration_count(world.bot.db) == before

    queue = await discord_command(
        world, interaction(("review",), permissions=EVERYDAY | MANAGE_GUILD)
    )
    assert queue.ephemeral
    [row] = queue.body["components"]
    assert row["components"][0]["custom_id"] == "tally:sugg:confirm:1"

    press = component("tally:sugg:confirm:1")
    await world.discord.dispatch("INTERACTION_CREATE", press)

    def answered() -> list[dict]:
        return [c for c in world.discord.callbacks if c["interaction_id"] == press["id"]]

    await until(answered, "the answer to the Confirm press", world.bot)
    assert declaration_count(world.bot.db) == before + 1

    def told() -> list:
        return world.slack.messages_in(SLACK_READER[0])

    await until(told, "the Slack suggester's notice", world.bot)
    [notice] = told()
    text = json.dumps(notice.payload, ensure_ascii=False)
    assert "Your suggestion #1 was confirmed" in text and "<!channel>" not in text

    status = await world.bot.stop(signal.SIGTERM)
    assert status == 0, world.bot.output()
    assert "Traceback" not in world.bot.output()
