"""A neutral Reply -> one Slack message in Block Kit, always within Block Kit's limits.

Slack answers `invalid_blocks` to a message over any limit, so every piece is cut here: long
lists end in "and N more" (bot.replies.fit_items), long texts in an ellipsis, surplus fields in
a final "and N more" section. Text objects are `verbatim` so Slack parses nothing we did not
write ourselves.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from adapters.slack.escape import clip_mrkdwn, inert, inert_with_links, plain
from bot.replies import ActionStyle, Colour, Field, Item, Reply, clip, fit_items

MAX_BLOCKS = 50
HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT_LIMIT = 3000
BUTTON_VALUE_LIMIT = 2000
FALLBACK_TEXT_LIMIT = 3000

SHARE_ACTION_ID = "tally_share"
BUILT_LIMIT = 64
"""Renderings kept for replies served again (the core keeps read replies until a commit)."""

MARKS = {
    Colour.REACHED: "✅",
    Colour.BLOCKED: "⛔",
    Colour.PENDING: "⏳",
    Colour.INFO: "ℹ️",
    Colour.ERROR: "",
}
"""Colour by outcome: top-level blocks carry no colour bar, so the header leads with a mark."""

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    text: str
    """Notification / fallback text (escaped)."""
    blocks: tuple[Block, ...]

    def payload(self) -> dict[str, Any]:
        """Keyword arguments for chat.postMessage and respond()."""
        return {
            "text": self.text,
            "blocks": list(self.blocks),
            "unfurl_links": False,
            "unfurl_media": False,
        }


def render(reply: Reply, share_value: str | None = None) -> SlackMessage:
    """Block Kit for `reply`; with `share_value`, a "Share in channel" button carrying it.

    Built once per reply object (a cached read reply is the same object until the record
    changes); only the button, whose value differs per answer, is made each time. The blocks
    are shared between answers: callers must not change them."""
    with_button = share_value is not None
    key = (id(reply), with_button)
    found = _built.get(key)
    if found is not None and found[0] is reply:
        _built.move_to_end(key)
        message = found[1]
    else:
        message = _render(reply, with_button)
        _built[key] = (reply, message)
        while len(_built) > BUILT_LIMIT:
            _built.popitem(last=False)
    if share_value is None:
        return message
    return SlackMessage(message.text, (*message.blocks[:-1], _share_button(share_value)))


_built: OrderedDict[tuple[int, bool], tuple[Reply, SlackMessage]] = OrderedDict()
"""Keyed by the reply's identity; the reply is held, so its id stays its own."""


def _render(reply: Reply, with_button: bool) -> SlackMessage:
    """The message, its share button (if any) last with an empty value."""
    mark = MARKS[reply.colour]
    title = f"{mark} {reply.title}".strip() if mark else reply.title
    head: list[Block] = [_header(title)]
    if reply.lines:
        head.append(_section(_fit([inert_with_links(line) for line in reply.lines], "\n")))
    tail: list[Block] = []
    if reply.context:
        tail.append(_context(reply.context))
    if with_button:
        tail.append(_share_button(""))
    for item in reply.items:
        head += _item_blocks(item)
    room = MAX_BLOCKS - len(head) - len(tail)
    body = _field_blocks(reply.fields)
    if len(body) > room:
        kept = body[: room - 1]
        hidden = sum(_field_count(block) for block in body[room - 1 :])
        body = [*kept, _section(f"_…and {hidden} more_")]
    fallback = clip_mrkdwn(inert(title), FALLBACK_TEXT_LIMIT)
    return SlackMessage(text=fallback, blocks=tuple(head + body + tail))


def _header(title: str) -> Block:
    text = clip(plain(title), HEADER_LIMIT) or "tallybot"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or " ", "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(clip_mrkdwn(text, SECTION_TEXT_LIMIT))}


def _fit(items: list[str], separator: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Whole items within `limit`, ending in "and N more"; a single huge item is clipped."""
    return fit_items([clip_mrkdwn(item, limit) for item in items], limit, separator)


def _field_text(field: Field, limit: int) -> str:
    name = f"*{clip_mrkdwn(inert(field.name), limit // 2)}*\n"
    value = _fit(
        [inert_with_links(item) for item in field.items], field.separator, limit - len(name)
    )
    return name + value


def _field_blocks(fields: tuple[Field, ...]) -> list[Block]:
    """Inline fields share sections (two columns, 10 a section); others get a section each."""
    blocks: list[Block] = []
    columns: list[dict[str, Any]] = []

    def flush() -> None:
        if columns:
            blocks.append({"type": "section", "fields": list(columns)})
            columns.clear()

    for field in fields:
        if field.inline:
            columns.append(_mrkdwn(_field_text(field, FIELD_TEXT_LIMIT)))
            if len(columns) == FIELDS_PER_SECTION:
                flush()
        else:
            flush()
            blocks.append(
                {"type": "section", "text": _mrkdwn(_field_text(field, SECTION_TEXT_LIMIT))}
            )
    flush()
    return blocks


def _field_count(block: Block) -> int:
    return len(block.get("fields", ())) or 1


def _context(lines: tuple[str, ...]) -> Block:
    texts = [inert_with_links(line) for line in lines]
    if len(texts) > CONTEXT_ELEMENTS:
        rest = fit_items(texts[CONTEXT_ELEMENTS - 1 :], CONTEXT_TEXT_LIMIT, "\n")
        texts = [*texts[: CONTEXT_ELEMENTS - 1], rest]
    return {
        "type": "context",
        "elements": [_mrkdwn(clip_mrkdwn(t, CONTEXT_TEXT_LIMIT)) for t in texts],
    }


BUTTON_TEXT_LIMIT = 75


def _item_blocks(item: Item) -> list[Block]:
    """An entry (a suggestion to review): its text, then its buttons. Each button's action_id
    is the entry's stable id ('tally:sugg:confirm:42'), unique in the message."""
    text = "\n".join([f"*{inert(item.title)}*", *(inert_with_links(line) for line in item.lines)])
    blocks: list[Block] = [_section(text)]
    if item.actions:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action.id,
                        "text": {
                            "type": "plain_text",
                            "text": clip(plain(action.label), BUTTON_TEXT_LIMIT),
                        },
                        "value": action.id,
                        **(
                            {"style": str(action.style)}
                            if action.style is not ActionStyle.DEFAULT
                            else {}
                        ),
                    }
                    for action in item.actions
                ],
            }
        )
    return blocks


def _share_button(value: str) -> Block:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION_ID,
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": value[:BUTTON_VALUE_LIMIT],
            }
        ],
    }
