"""Slash commands through discord.py's interaction path, checked as Discord receives them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.commands.catalog import COMMANDS
from bot.commands.spec import Command, Param, ParamKind
from bot.demo import DEMO_TRACKER
from store.thread import as_sqlite
from tests.conftest import OPERATOR
from tests.discord.conftest import Bot, embed_text
from tests.discord.payloads import (
    ADMIN_ID,
    EVERYDAY,
    READER_ID,
    interaction,
    option,
    resolved_user,
)

EPHEMERAL = 64
NO_PINGS = {"parse": []}
NEW_MODERATOR_ID = "800000000000000077"

KNOWN_OPTIONS: dict[str, dict[str, Any]] = {
    "tally": {"tracker": DEMO_TRACKER, "as_of": "2024-04-02"},
    "position": {"member": "HU"},
    "holdouts": {},
    "history": {"member": "HU", "limit": 5},
    "trackers": {},
    "declare": {"member": "TR", "stance": "support", "target": "Mark Rutte", "date": "2024-04-29"},
    "retract": {"declaration_id": 1, "reason": "misattributed"},
    "tracker-new": {
        "slug": "sweden-accession",
        "title": "Sweden joins NATO",
        "kind": "approval",
        "rule": "unanimity",
        "stages": "parliament,signature",
        "subject": "SE",
    },
    "tracker-withdraw": {"tracker": DEMO_TRACKER, "candidate": "Klaus Iohannis"},
    "tracker-close": {"tracker": DEMO_TRACKER, "outcome": "Mark Rutte appointed"},
    "moderator-add": {"user": NEW_MODERATOR_ID},
    "moderator-remove": {"user": NEW_MODERATOR_ID},
    "moderator-list": {},
    "help": {"command": "declare"},
    "export": {"tracker": DEMO_TRACKER, "format": "csv"},
}
"""Options that make each demo command succeed; commands added to the spec later get options
built from their params' kinds (and are checked for a well-formed answer)."""


def discord_path(command: Command) -> tuple[str, ...]:
    return command.path or ("tally",)


def filler(param: Param) -> Any:
    if param.choices:
        return param.choices[0]
    return {
        ParamKind.MEMBER: "HU",
        ParamKind.TRACKER: DEMO_TRACKER,
        ParamKind.CANDIDATE: "rutte",
        ParamKind.DATE: "2024-04-02",
        ParamKind.INTEGER: param.min_value or 1,
        ParamKind.USER: NEW_MODERATOR_ID,
        ParamKind.URL: "https://example.org/report",
        ParamKind.RULE: "unanimity",
        ParamKind.BODY: "nato",
    }.get(param.kind, "example")


def payload_for(command: Command, values: dict[str, Any], **kw: Any) -> dict[str, Any]:
    options, resolved = [], None
    for name, value in values.items():
        param = command.param(name)
        assert param is not None, f"{command.key} has no param {name}"
        if param.kind is ParamKind.USER:
            options.append(option(name, value, kind=6))
            resolved = resolved_user(value)
        else:
            options.append(option(name, value))
    return interaction(discord_path(command), options, resolved=resolved, **kw)


@pytest.mark.parametrize("key", [c.key for c in COMMANDS])
async def test_every_command_answers_with_an_embed(bot: Bot, key: str) -> None:
    commands = {c.key: c for c in bot.core.dispatcher.commands}
    command = commands[key]
    known = key in KNOWN_OPTIONS
    values = KNOWN_OPTIONS.get(key) or {p.name: filler(p) for p in command.params if p.required}
    if key == "moderator-remove":
        await bot.run(payload_for(commands["moderator-add"], {"user": NEW_MODERATOR_ID}))
    await bot.run(payload_for(command, values))
    body = bot.last_callback()
    assert body["type"] == 4
    assert body["data"]["allowed_mentions"] == NO_PINGS
    embed = bot.last_embed()
    if known:
        assert not embed["title"].startswith("⚠️"), embed_text(embed)
        ephemeral = bool(body["data"].get("flags", 0) & EPHEMERAL)
        assert ephemeral == (not command.moderator_only), "reads private, writes public"


async def test_the_spec_is_covered(bot: Bot) -> None:
    """Every command of the spec is a slash command (generated, not declared by hand)."""
    for command in bot.core.dispatcher.commands:
        path = discord_path(command)
        found = bot.client.tree.get_command(path[0])
        for word in path[1:]:
            found = found.get_command(word)  # type: ignore[union-attr]
        assert found is not None, command.key


async def test_read_is_private_unless_public_is_set(bot: Bot) -> None:
    await bot.run(interaction(("tally",)))
    assert bot.last_callback()["data"]["flags"] & EPHEMERAL
    assert "28 of 32" in embed_text(bot.last_embed())

    await bot.run(interaction(("holdouts",), [option("public", True)]))
    assert not bot.last_callback()["data"].get("flags", 0) & EPHEMERAL


async def test_tally_as_of_an_earlier_date(bot: Bot) -> None:
    await bot.run(interaction(("tally",), [option("as_of", "2024-03-06")]))
    text = embed_text(bot.last_embed())
    assert "28 of 32" not in text
    assert bot.last_embed()["color"] == 0xC62828  # blocked: Hungary opposes


async def test_bad_date_gets_a_clear_private_error(bot: Bot) -> None:
    await bot.run(interaction(("tally",), [option("as_of", "April 2nd")]))
    body = bot.last_callback()
    assert body["data"]["flags"] & EPHEMERAL
    assert "YYYY-MM-DD" in embed_text(bot.last_embed())


async def test_dm_reads_work_with_the_dm_workspace(bot: Bot) -> None:
    await bot.run(interaction(("moderator", "list"), guild_id=None))
    assert bot.last_callback()["data"]["flags"] & EPHEMERAL
    assert bot.last_embed()["title"] == "Moderators"


async def declarations(bot: Bot) -> int:
    return await bot.core.store.run(
        lambda tx: as_sqlite(tx).db.count_where("declarations", "TRUE", [])
    )


DECLARE_TR = [
    option("member", "TR"),
    option("stance", "support"),
    option("target", "Mark Rutte"),
    option("date", "2024-04-29"),
]


async def test_manage_server_may_write_and_it_is_posted_publicly(bot: Bot) -> None:
    before = await declarations(bot)
    await bot.run(interaction(("declare",), DECLARE_TR))
    body = bot.last_callback()
    assert not body["data"].get("flags", 0) & EPHEMERAL
    assert await declarations(bot) == before + 1
    recorded_by = await bot.core.store.run(
        lambda tx: (
            as_sqlite(tx)
            .records.db.execute("SELECT recorded_by FROM declarations ORDER BY id DESC LIMIT 1")
            .fetchone()[0]
        )
    )
    assert recorded_by.startswith(f"discord:900000000000000001:{ADMIN_ID}")


async def test_non_moderator_is_refused_privately_and_nothing_is_written(bot: Bot) -> None:
    before = await declarations(bot)
    await bot.run(interaction(("declare",), DECLARE_TR, user_id=READER_ID, permissions=EVERYDAY))
    body = bot.last_callback()
    assert body["data"]["flags"] & EPHEMERAL
    assert "Only moderators" in embed_text(bot.last_embed())
    assert await declarations(bot) == before


async def test_moderator_role_by_name_is_looked_up_over_rest(bot: Bot) -> None:
    bot.fake.guilds["900000000000000001"] = {
        "roles": [{"id": "600000000000000001", "name": "Tally editors"}]
    }
    before = await declarations(bot)
    await bot.run(
        interaction(
            ("declare",),
            DECLARE_TR,
            user_id=READER_ID,
            permissions=EVERYDAY,
            roles=("600000000000000001",),
        )
    )
    assert await declarations(bot) == before + 1
    assert bot.fake.requests_to("/guilds/900000000000000001/roles", "GET")


async def test_moderator_role_by_id(bot: Bot) -> None:
    bot.client.moderators.mod_role = "600000000000000009"
    before = await declarations(bot)
    payload = interaction(
        ("declare",),
        DECLARE_TR,
        user_id=READER_ID,
        permissions=EVERYDAY,
        roles=("600000000000000009",),
    )
    await bot.run(payload)
    assert await declarations(bot) == before + 1
    assert not bot.fake.requests_to("/guilds/")


async def test_a_user_added_with_moderator_add_may_write(bot: Bot) -> None:
    await bot.run(
        interaction(
            ("moderator", "add"),
            [option("user", READER_ID, kind=6)],
            resolved=resolved_user(READER_ID),
        )
    )
    assert READER_ID in embed_text(bot.last_embed())
    before = await declarations(bot)
    await bot.run(interaction(("declare",), DECLARE_TR, user_id=READER_ID, permissions=EVERYDAY))
    assert await declarations(bot) == before + 1


async def test_mentions_in_a_quote_never_ping(bot: Bot) -> None:
    quote = "@everyone @here <@800000000000000002> <@&600000000000000001> **loud**"
    await bot.run(interaction(("declare",), [*DECLARE_TR, option("quote", quote)]))
    assert bot.last_callback()["data"]["allowed_mentions"] == NO_PINGS
    await bot.run(interaction(("position",), [option("member", "TR")]))
    body = bot.last_callback()
    assert body["data"]["allowed_mentions"] == NO_PINGS
    text = embed_text(bot.last_embed())
    assert "loud" in text
    for raw in ("@everyone", "@here", "<@800000000000000002>", "<@&600000000000000001>", "**"):
        assert raw not in text


async def test_embed_limits_cut_a_long_history(bot: Bot) -> None:
    quote = "We will never support this candidate. " * 39  # ~1,500 characters
    for day in range(1, 29):
        await bot.core.dispatcher.run_text(
            f'declare TR oppose rutte date=2024-04-{day:02d} quote="{quote.strip()}"',
            OPERATOR,
        )
    await bot.run(interaction(("history",), [option("member", "TR"), option("limit", 50)]))
    assert bot.fake.requests[-1].status == 200  # the fake answers 400 past any limit
    embed = bot.last_embed()
    fields = embed["fields"]
    assert 1 <= len(fields) < 25  # 28 long declarations: the 6,000 total cuts first
    assert all(len(f["value"]) <= 1024 for f in fields)
    assert any(f["value"].endswith("…") for f in fields)  # a long quote, cut not hidden
    size = len(embed["title"]) + len(embed.get("description", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in fields)
    size += len(embed["footer"]["text"])
    assert size <= 6000
    assert "more sections not shown" in embed["footer"]["text"]


async def test_a_slow_command_is_deferred_then_edited(bot: Bot) -> None:
    bot.client.handler.defer_after = 0  # type: ignore[union-attr]
    await bot.run(interaction(("tally",)))
    body = bot.last_callback()
    assert body["type"] == 5
    assert body["data"]["flags"] & EPHEMERAL
    edit = bot.fake.webhook_calls[-1]
    assert (edit["method"], edit["message_id"]) == ("PATCH", "@original")
    assert "28 of 32" in embed_text(edit["body"]["embeds"][0])
    assert edit["body"]["allowed_mentions"] == NO_PINGS


async def test_a_slow_write_follows_up_publicly(bot: Bot) -> None:
    bot.client.handler.defer_after = 0  # type: ignore[union-attr]
    await bot.run(interaction(("declare",), DECLARE_TR))
    assert bot.last_callback()["type"] == 5
    note, post = bot.fake.webhook_calls[-2:]
    assert note["method"] == "PATCH" and "posted" in note["body"]["content"]
    assert post["method"] == "POST"
    assert not post["body"].get("flags", 0) & EPHEMERAL
    assert post["body"]["allowed_mentions"] == NO_PINGS
    assert "Türkiye" in embed_text(post["body"]["embeds"][0])


async def test_gateway_entry_point_schedules_the_command(bot: Bot) -> None:
    """parse_interaction_create is what the gateway calls; it runs the tree in a task."""
    import asyncio

    bot.client._connection.parse_interaction_create(interaction(("trackers",)))
    for _ in range(200):
        if bot.fake.callbacks:
            break
        await asyncio.sleep(0.01)
    assert DEMO_TRACKER in embed_text(bot.last_embed())
