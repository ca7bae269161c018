"""Two Discord servers through discord.py's own command tree: each sees only its community's
trackers (commands and autocomplete); a direct message (no server) only reads."""

from __future__ import annotations

from bot.commands.context import Actor
from tests.discord.conftest import Bot, embed_text
from tests.discord.payloads import interaction, option

OTHER_GUILD = "900000000000000777"
OTHER_ADMIN = Actor("discord", OTHER_GUILD, "5", "ota", platform_moderator=True, channel="9")


async def _their_secret(bot: Bot) -> None:
    bot.core.dispatcher.shared_community = None  # a public bot: each server its own community
    made = await bot.core.dispatcher.run_text(
        '/tally tracker new their-secret "Theirs" kind=approval rule=majority body=nato',
        OTHER_ADMIN,
    )
    assert made.ok, made.title


async def test_another_server_s_trackers_are_not_listed_or_offered(bot: Bot) -> None:
    await _their_secret(bot)
    await bot.run(interaction(("trackers",)))
    assert "their-secret" not in embed_text(bot.last_embed())
    await bot.run(interaction(("tally",), [option("tracker", "their-secret")]))
    assert "No tracker 'their-secret'" in embed_text(bot.last_embed())
    await bot.run(interaction(("tally",), [option("tracker", "their", focused=True)], kind=4))
    assert bot.last_callback()["data"]["choices"] == []
    theirs = [option("tracker", "their", focused=True)]
    await bot.run(interaction(("tally",), theirs, kind=4, guild_id=OTHER_GUILD))
    assert [c["value"] for c in bot.last_callback()["data"]["choices"]] == ["their-secret"]


async def test_a_direct_message_only_reads(bot: Bot) -> None:
    declare = [option("member", "LT"), option("stance", "support"), option("target", "rutte")]
    await bot.run(interaction(("declare",), declare, guild_id=None))
    assert "direct message" in embed_text(bot.last_embed())
