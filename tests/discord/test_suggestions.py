"""Suggest and review on Discord: discord.py parses the very payloads Discord sends (slash
commands, button presses, modal submits); the fake API checks each answer as Discord would.
Buttons carry the suggestion id in their custom_id and nothing is kept in memory, so a press
after a restart works."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from adapters.discord.client import TallyClient
from adapters.discord.sender import DiscordSender
from adapters.discord.suggestions import handle_suggestion_interaction
from bot.app import Core
from bot.settings import Settings
from tests.conftest import Clock, open_demo_core
from tests.discord.conftest import Bot, embed_text
from tests.discord.payloads import (
    EVERYDAY,
    READER_ID,
    component,
    interaction,
    modal_submit,
    option,
)
from tests.fakes.discord_api import FakeDiscord

EPHEMERAL = 64
SOURCE = "https://example.org/budapest-backs-rutte"
SUGGEST_HU = [
    option("member", "HU"),
    option("stance", "support"),
    option("target", "rutte"),
    option("source", SOURCE),
    option("date", "2024-06-18"),
    option("quote", "We back him, @everyone"),
]
OTHER_ADMIN_ID = "800000000000000003"


async def suggest(bot: Bot, options: list[dict[str, Any]] = SUGGEST_HU) -> dict[str, Any]:
    await bot.run(interaction(("suggest",), options, user_id=READER_ID, permissions=EVERYDAY))
    return bot.last_callback()


async def press(bot: Bot | TallyClient, payload: dict[str, Any]) -> None:
    client = bot.client if isinstance(bot, Bot) else bot
    assert client.handler is not None
    pressed = discord.Interaction(data=payload, state=client._connection)  # type: ignore[arg-type]
    assert await handle_suggestion_interaction(client.handler, pressed)


def tell_through_discord(bot: Bot) -> None:
    """What `tallybot run` wires: the Discord sender tells suggesters directly."""
    bot.core.dispatcher.messengers["discord"] = DiscordSender(bot.client)


async def declarations_of(core: Core, member: str) -> int:
    def count(tx: Any) -> int:
        tracker = tx.records.tracker_by_slug("nato-sg-2024")
        return int(tx.records.count_declarations(tracker.id, member))

    return await core.store.run(count, write=False)


async def test_suggest_review_confirm_and_the_suggester_is_told(bot: Bot) -> None:
    tell_through_discord(bot)
    before = await declarations_of(bot.core, "HU")
    sent = await suggest(bot)
    assert sent["data"]["flags"] & EPHEMERAL
    assert sent["data"]["embeds"][0]["title"].startswith("Sent to the moderators: ")
    assert "public" not in {o["name"] for o in _options(bot, "suggest")}

    await bot.run(interaction(("review",), []))
    queue = bot.last_callback()["data"]
    assert queue["flags"] & EPHEMERAL
    [row] = queue["components"]
    assert [(b["custom_id"], b["label"], b["style"]) for b in row["components"]] == [
        ("tally:sugg:confirm:1", "Confirm", 1),
        ("tally:sugg:edit:1", "Edit", 2),
        ("tally:sugg:reject:1", "Reject", 4),
    ]
    text = embed_text(queue["embeds"][0])
    assert "Now: opposes Mark Rutte (since 2024-03-05, #5)" in text
    assert "@\u200beveryone" in text  # shown, never a ping
    assert queue["allowed_mentions"] == {"parse": []}

    await press(bot, component("tally:sugg:confirm:1"))
    answer = bot.last_callback()
    assert not answer["data"].get("flags", 0) & EPHEMERAL  # a recorded change: in the channel
    assert answer["data"]["embeds"][0]["title"].startswith("Recorded #31: ")
    assert await declarations_of(bot.core, "HU") == before + 1
    await bot.core.dispatcher.settle()  # told after the answer
    [told] = bot.fake.dm_messages(READER_ID)
    assert told.payload["embeds"][0]["title"].startswith("Your suggestion #1 was confirmed")
    assert told.payload["allowed_mentions"] == {"parse": []}


async def test_double_press_and_two_moderators_at_once_record_once(bot: Bot) -> None:
    await suggest(bot)
    before = await declarations_of(bot.core, "HU")
    await asyncio.gather(
        press(bot, component("tally:sugg:confirm:1")),
        press(bot, component("tally:sugg:confirm:1", user_id=OTHER_ADMIN_ID)),
    )
    await press(bot, component("tally:sugg:confirm:1"))
    assert await declarations_of(bot.core, "HU") == before + 1
    titles = sorted(c["body"]["data"]["embeds"][0]["title"] for c in bot.fake.callbacks[-3:])
    assert sum("was already confirmed by" in t for t in titles) == 2, titles


async def test_non_moderator_press_is_refused_and_the_queue_unchanged(bot: Bot) -> None:
    await suggest(bot)
    for verb in ("confirm", "edit", "reject"):
        await press(bot, component(f"tally:sugg:{verb}:1", user_id=READER_ID, permissions=EVERYDAY))
        answer = bot.last_callback()
        assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
        assert "Only moderators" in answer["data"]["embeds"][0]["title"]
    assert not [c for c in bot.fake.callbacks if c["body"]["type"] == 9]  # no form opened
    await bot.run(interaction(("review",), []))
    assert bot.last_callback()["data"]["components"]


async def test_edit_opens_a_prefilled_modal_whose_submit_confirms_the_edit(bot: Bot) -> None:
    await suggest(bot)
    await press(bot, component("tally:sugg:edit:1"))
    opened = bot.last_callback()
    assert opened["type"] == 9
    form = opened["body"]["data"] if "body" in opened else opened["data"]
    assert form["custom_id"] == "tally:suggform:edit:1"
    defaults = _defaults(form)
    assert defaults == {
        "stance": "support",
        "target": "Mark Rutte",
        "date": "2024-06-18",
        "quote": "We back him, @everyone",
        "speaker": None,
    }
    values = {
        "stance": "oppose",
        "target": "Mark Rutte",
        "date": "2024-06-18",
        "quote": "",
        "speaker": "Peter Szijjarto",
    }
    await press(bot, modal_submit("tally:suggform:edit:1", values))
    answer = bot.last_callback()
    assert (
        answer["data"]["embeds"][0]["title"] == "Recorded #31: 🇭🇺\u00a0Hungary opposes Mark Rutte"
    )
    assert "edited" in embed_text(answer["data"]["embeds"][0])

    def latest(tx: Any) -> Any:
        tracker = tx.records.tracker_by_slug("nato-sg-2024")
        return tx.records.history(tracker.id, "HU", limit=1)[0]

    found = await bot.core.store.run(latest, write=False)
    assert (found.quote, found.speaker) == (None, "Peter Szijjarto")


async def test_reject_with_a_reason_from_the_modal(bot: Bot) -> None:
    tell_through_discord(bot)
    await suggest(bot)
    await press(bot, component("tally:sugg:reject:1"))
    assert bot.last_callback()["type"] == 9
    await press(
        bot, modal_submit("tally:suggform:reject:1", {"reason": "anonymous"}, labelled=False)
    )
    answer = bot.last_callback()["data"]
    assert answer["flags"] & EPHEMERAL
    assert answer["embeds"][0]["title"].startswith("Rejected suggestion #1")
    await bot.core.dispatcher.settle()  # told after the answer
    [told] = bot.fake.dm_messages(READER_ID)
    assert "anonymous" in embed_text(told.payload["embeds"][0])


async def test_a_press_after_a_restart_records(
    discord_settings: Settings, fake: FakeDiscord, clock: Clock
) -> None:
    core = await open_demo_core(discord_settings, clock)
    client = TallyClient(core.dispatcher, core.store, discord_settings)
    await client.login(fake.token)
    first = Bot(client, fake, core)
    await suggest(first)
    await first.run(interaction(("review",), []))
    [row] = first.last_callback()["data"]["components"]
    confirm_id = row["components"][0]["custom_id"]
    await client.close()
    core.close()  # the process ends: no view, no core, nothing in memory survives

    core = await asyncio.to_thread(_reopen, discord_settings, clock)
    client = TallyClient(core.dispatcher, core.store, discord_settings)
    try:
        await client.login(fake.token)
        await press(client, component(confirm_id))
        title = fake.callbacks[-1]["body"]["data"]["embeds"][0]["title"]
        assert title.startswith("Recorded #31: ")
    finally:
        await client.close()
        core.close()


async def test_the_client_routes_a_gateway_press_to_the_review(bot: Bot) -> None:
    """INTERACTION_CREATE through discord.py's own parser reaches on_interaction."""
    await suggest(bot)
    calls = len(bot.fake.callbacks)
    bot.client._connection.parse_interaction_create(component("tally:sugg:confirm:1"))  # type: ignore[arg-type]
    for _ in range(200):
        if len(bot.fake.callbacks) > calls:
            break
        await asyncio.sleep(0.02)
    assert bot.last_callback()["data"]["embeds"][0]["title"].startswith("Recorded #31: ")


def _reopen(settings: Settings, clock: Clock) -> Core:
    from tallybot.wiring import open_core

    return open_core(settings, clock)


def _options(bot: Bot, name: str) -> list[dict[str, Any]]:
    command = bot.client.tree.get_command(name)
    assert command is not None
    return list(command.to_dict(bot.client.tree)["options"])


def _defaults(form: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for row in form["components"]:
        for item in row.get("components") or [row.get("component")]:
            found[item["custom_id"]] = item.get("value")
    return found


async def test_a_full_queue_of_long_quotes_fits_one_message_with_every_entry(bot: Bot) -> None:
    for member in ("HU", "SK", "TR", "RO", "HR", "BG"):
        options = [o for o in SUGGEST_HU if o["name"] not in ("member", "quote")]
        long_quote = f"{member} says: " + "we will decide in due course. " * 130  # ~4,000
        await suggest(bot, [option("member", member), *options, option("quote", long_quote)])
        assert bot.last_callback()["data"]["embeds"][0]["title"].startswith("Sent")
    await bot.run(interaction(("review",), []))
    queue = bot.last_callback()["data"]  # the fake refuses an embed over Discord's limits
    [embed] = queue["embeds"]
    names = [f["name"].split(" · ")[0].lstrip("\\") for f in embed["fields"]]
    assert names == ["#1", "#2", "#3", "#4", "#5"]
    assert len(queue["components"]) == 5
    assert "Showing the oldest 5" in embed["description"]
