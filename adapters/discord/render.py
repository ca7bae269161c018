"""Reply -> one Discord embed, within every limit Discord enforces (it answers 400 otherwise).

Text in replies is plain and may contain what users typed (quotes, titles, speakers): markdown
and mentions are neutralised here, and every send also carries AllowedMentions.none().
"""

from __future__ import annotations

from collections import OrderedDict

import discord

from bot.replies import Reply, clip, fit_items

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
TOTAL_LIMIT = 6000

ITEMS_ROOM = 3500
"""Characters the entries of one reply (the review queue's five) share."""
ITEM_NAME_LIMIT = 200

NO_MENTIONS = discord.AllowedMentions.none()
BUILT_LIMIT = 64
"""Embeds kept for replies served again (the core keeps read replies until a commit)."""
_built: OrderedDict[int, tuple[Reply, discord.Embed]] = OrderedDict()


def neutral(text: str) -> str:
    """Shown literally: no markdown (headings, quotes, lists too), no mention pills."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _plain(text: str) -> str:
    """For the footer, which renders neither markdown nor mentions: only defuse @everyone."""
    return discord.utils.escape_mentions(text)


def reply_embed(reply: Reply) -> discord.Embed:
    """The embed for `reply`, built once per reply object: a cached read reply is the same
    object until the record changes. Keyed by identity (the reply is held, so its id stays its
    own); callers must not change the embed."""
    found = _built.get(id(reply))
    if found is not None and found[0] is reply:
        _built.move_to_end(id(reply))
        return found[1]
    embed = _build(reply)
    _built[id(reply)] = (reply, embed)
    while len(_built) > BUILT_LIMIT:
        _built.popitem(last=False)
    return embed


def _build(reply: Reply) -> discord.Embed:
    title = clip(neutral(reply.title), TITLE_LIMIT)
    description = _fit([neutral(line) for line in reply.lines], DESCRIPTION_LIMIT, "\n")
    fields = [
        (
            clip(neutral(field.name), FIELD_NAME_LIMIT),
            _fit([neutral(i) for i in field.items], FIELD_VALUE_LIMIT, field.separator),
            field.inline,
        )
        for field in reply.fields
    ]
    # Entries share what the embed holds, so every one shows beside its buttons.
    room = min(FIELD_VALUE_LIMIT, ITEMS_ROOM // max(len(reply.items), 1))
    fields += [
        (
            clip(neutral(item.title), ITEM_NAME_LIMIT),
            _fit([neutral(line) for line in item.lines], room, "\n") or "—",
            False,
        )
        for item in reply.items
    ]
    footer = _fit([_plain(line) for line in reply.context], FOOTER_LIMIT, "\n")
    if not reply.lines:
        description = ""
    if not reply.context:
        footer = ""
    fields, dropped = _within_count(fields)
    fields, description, footer = _within_total(title, description, fields, footer, dropped)
    embed = discord.Embed(title=title, description=description or None, colour=reply.colour.rgb)
    for name, value, inline in fields:
        embed.add_field(name=name, value=value, inline=inline)
    if footer:
        embed.set_footer(text=footer)
    picture = next((a for a in reply.attachments if a.content_type == "image/png"), None)
    if picture is not None:
        # The first picture shows inside the embed; it is attached to the same message.
        embed.set_image(url=f"attachment://{picture.filename}")
    return embed


def _fit(items: list[str], limit: int, separator: str) -> str:
    """Items joined within `limit`, ending 'and N more'; one over-long item (a long quote) is
    cut rather than hidden."""
    room = limit - len(f"{separator}and {len(items)} more")
    return fit_items([clip(item, room) for item in items], limit, separator)


def _within_count(
    fields: list[tuple[str, str, bool]],
) -> tuple[list[tuple[str, str, bool]], int]:
    if len(fields) <= FIELD_COUNT_LIMIT:
        return fields, 0
    return fields[:FIELD_COUNT_LIMIT], len(fields) - FIELD_COUNT_LIMIT


def _within_total(
    title: str,
    description: str,
    fields: list[tuple[str, str, bool]],
    footer: str,
    dropped: int,
) -> tuple[list[tuple[str, str, bool]], str, str]:
    """Drop trailing fields (saying how many in the footer), then cut the description."""
    while True:
        shown = _note(footer, f"and {dropped} more sections not shown") if dropped else footer
        size = len(title) + len(description) + len(shown)
        size += sum(len(name) + len(value) for name, value, _ in fields)
        if size <= TOTAL_LIMIT or not fields:
            break
        fields = fields[:-1]
        dropped += 1
    if size > TOTAL_LIMIT:
        description = clip(description, max(TOTAL_LIMIT - (size - len(description)), 0))
    return fields, description, shown


def _note(footer: str, note: str) -> str:
    joined = f"{footer}\n{note}" if footer else note
    if len(joined) <= FOOTER_LIMIT:
        return joined
    return clip(footer, FOOTER_LIMIT - len(note) - 1) + "\n" + note
