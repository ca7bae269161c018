"""Autocomplete requests (interaction type 4) answered with callback type 8 and choices."""

from __future__ import annotations

from typing import Any

from bot.demo import DEMO_TRACKER
from tests.conftest import OPERATOR
from tests.discord.conftest import Bot
from tests.discord.payloads import interaction, option

AUTOCOMPLETE = 4
AUTOCOMPLETE_RESULT = 8


async def choices(bot: Bot, path: tuple[str, ...], options: list[dict[str, Any]]) -> list[dict]:
    await bot.run(interaction(path, options, kind=AUTOCOMPLETE))
    body = bot.last_callback()
    assert body["type"] == AUTOCOMPLETE_RESULT
    found = body["data"]["choices"]
    assert len(found) <= 25
    return found


async def test_member_by_partial_name(bot: Bot) -> None:
    found = await choices(bot, ("position",), [option("member", "lith", focused=True)])
    assert found[0]["value"] == "LT"
    assert "Lithuania" in found[0]["name"]


async def test_member_by_alias(bot: Bot) -> None:
    found = await choices(bot, ("declare",), [option("member", "UK", focused=True)])
    assert found[0]["value"] == "GB"
    assert "United Kingdom" in found[0]["name"]


async def test_member_list_is_capped_at_25(bot: Bot) -> None:
    found = await choices(bot, ("position",), [option("member", "", focused=True)])
    assert len(found) == 25  # NATO has 32 members


async def test_candidates_of_the_sole_open_tracker(bot: Bot) -> None:
    found = await choices(
        bot,
        ("declare",),
        [
            option("member", "TR"),
            option("stance", "support"),
            option("target", "rut", focused=True),
        ],
    )
    assert [c["value"] for c in found] == ["Mark Rutte"]


async def test_candidates_follow_the_chosen_tracker(bot: Bot) -> None:
    await bot.core.dispatcher.run_text(
        'tracker new sweden "Sweden joins" kind=approval rule=unanimity '
        'stages="parliament,signature"',
        OPERATOR,
    )
    options = [option("tracker", "sweden"), option("target", "", focused=True)]
    found = await choices(bot, ("declare",), options)
    assert [c["value"] for c in found] == ["parliament", "signature"]
    # Two open trackers now: without a tracker there is no guessing whose candidates.
    found = await choices(bot, ("declare",), [option("target", "rut", focused=True)])
    assert found == []
    options = [option("tracker", DEMO_TRACKER), option("target", "klaus", focused=True)]
    found = await choices(bot, ("declare",), options)
    assert [c["value"] for c in found] == ["Klaus Iohannis"]


async def test_trackers_by_slug(bot: Bot) -> None:
    found = await choices(bot, ("tally",), [option("tracker", "nato", focused=True)])
    assert found[0]["value"] == DEMO_TRACKER
    assert "Secretary General" in found[0]["name"]


async def test_rules_and_bodies_for_a_new_tracker(bot: Bot) -> None:
    options = [option("slug", "x"), option("rule", "two", focused=True)]
    found = await choices(bot, ("tracker", "new"), options)
    assert found[0]["value"] == "two-thirds"
    options = [option("slug", "x"), option("body", "e", focused=True)]
    found = await choices(bot, ("tracker", "new"), options)
    assert found[0]["value"] == "eu"


async def test_subject_members_come_from_the_chosen_body(bot: Bot) -> None:
    options = [option("body", "eu"), option("subject", "ire", focused=True)]
    found = await choices(bot, ("tracker", "new"), options)
    assert found[0]["value"] == "IE"
