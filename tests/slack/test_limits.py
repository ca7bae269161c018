"""Replies bigger than Block Kit allows are cut ("and N more"), never refused by Slack."""

from __future__ import annotations

import re

from adapters.slack.blocks import (
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    render,
)
from bot.app import Core
from bot.replies import Field, Reply
from tests.conftest import OPERATOR
from tests.fakes.slack_api import block_kit_problems
from tests.slack.conftest import SlackHarness

MEMBERS = ["BE", "CA", "DK", "IS", "IT", "LU", "NL", "NO", "PT", "GR"]


async def test_history_of_fifty_long_declarations_is_cut_to_fit(
    slack: SlackHarness, slack_core: Core
) -> None:
    quote = "It is a long statement & <it> goes on. " * 35  # ~1,400 characters each
    for n in range(50):
        member = MEMBERS[n % len(MEMBERS)]
        reply = await slack_core.dispatcher.run_text(
            f'declare {member} support rutte quote="{quote}" speaker="Minister {n}"', OPERATOR
        )
        assert reply.ok, reply.title
    answer = await slack.command("history limit=50")
    post = answer.post  # the fake accepted it: every Block Kit limit held
    assert len(post.blocks) <= MAX_BLOCKS
    # All 50 were made today: one date heading, then one section per entry until Block Kit's
    # block limit, then "and N more".
    sections = [b["text"]["text"] for b in post.blocks if b["type"] == "section" and "text" in b]
    assert sum("*2026-11-23*" in text for text in sections) == 1
    shown = [text for text in sections if re.search(r"^#\d+ ", text, re.MULTILINE)]
    [more] = [text for text in sections if "more_" in text]
    hidden = int(re.search(r"and (\d+) more", more).group(1))
    assert len(shown) + hidden == 50
    assert all(len(text) <= SECTION_TEXT_LIMIT for text in shown)


def test_a_long_member_list_ends_in_and_n_more() -> None:
    members = tuple(f"Member state number {n} (MS{n})" for n in range(400))
    reply = Reply(
        title="T" * 400,
        fields=(Field("Not declared (400)", members), Field("Inline", members[:3], inline=True)),
        context=tuple(f"source {n}: https://example.org/{n}" for n in range(30)),
    )
    message = render(reply, share_value="k")
    blocks = list(message.blocks)
    assert block_kit_problems(blocks) == []
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
    listing = blocks[1]["text"]["text"]
    assert listing.startswith("*Not declared (400)*\n")
    assert re.search(r", and \d+ more$", listing)
    shown = listing.count("(MS")
    assert f"and {400 - shown} more" in listing
    assert len(blocks[2]["fields"][0]["text"]) <= FIELD_TEXT_LIMIT
    assert len(blocks[3]["elements"]) == 10


def test_many_inline_fields_use_several_sections() -> None:
    fields = tuple(Field(f"F{n}", ("x",), inline=True) for n in range(25))
    blocks = list(render(Reply(title="t", fields=fields)).blocks)
    assert block_kit_problems(blocks) == []
    assert [len(b["fields"]) for b in blocks[1:]] == [10, 10, 5]


def test_cutting_never_splits_an_escaped_character() -> None:
    reply = Reply(title="t", lines=("&" * 5000,))
    text = render(reply).blocks[1]["text"]["text"]
    assert len(text) <= SECTION_TEXT_LIMIT
    assert text.endswith("&amp;…")
