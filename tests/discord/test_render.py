"""Replies cut to Discord's embed limits, and the fake refusing what Discord would refuse."""

from __future__ import annotations

import discord
import pytest

from adapters.discord.render import reply_embed
from bot.replies import Colour, Field, Reply
from tests.discord.conftest import Bot


def size(embed: discord.Embed) -> int:
    total = len(embed.title or "") + len(embed.description or "") + len(embed.footer.text or "")
    return total + sum(len(f.name or "") + len(f.value or "") for f in embed.fields)


def test_an_oversized_reply_is_cut_within_every_limit() -> None:
    reply = Reply(
        title="T" * 400,
        lines=tuple(f"line {i} " + "x" * 200 for i in range(40)),
        fields=tuple(
            Field(f"Field {i} " + "n" * 300, tuple(f"item{j}" for j in range(400)))
            for i in range(30)
        ),
        context=("c" * 3000,),
        colour=Colour.BLOCKED,
    )
    embed = reply_embed(reply)
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    assert all((f.value or "").endswith("more") for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert size(embed) <= 6000
    assert "more sections not shown" in (embed.footer.text or "")
    assert embed.colour is not None and embed.colour.value == 0xC62828


def test_user_text_is_shown_literally() -> None:
    embed = reply_embed(
        Reply(title="a *b* @everyone", lines=("# not a heading", "<@123456789012345678>"))
    )
    assert embed.title == "a \\*b\\* @\u200beveryone"
    assert embed.description == "\\# not a heading\n<@\u200b123456789012345678>"


async def test_the_fake_answers_400_past_a_limit_like_discord(bot: Bot) -> None:
    too_big = {"title": "t", "description": "d" * 4097}
    with pytest.raises(discord.HTTPException) as caught:
        await bot.client.http.request(
            discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=1),
            json={"embeds": [too_big]},
        )
    assert caught.value.status == 400
    assert caught.value.code == 50035
