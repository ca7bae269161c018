"""Replays of an adversarial tester's findings on issue 8's implementation: each test runs the
reported case through the ordinary commands on a real SQLite file (or a real `tallybot`
subprocess where the exit status matters)."""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.console.render import render_text
from bot.members import shipped_body

from .test_seed_stories import replay

EU = [m.code for m in shipped_body("eu").members_on(date(2024, 1, 1))]


# 1. Everyone abstaining adopts nothing ---------------------------------------------------------


async def test_everyone_abstaining_under_unanimity_is_pending(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new all-abstain "All abstain" kind=approval rule=unanimity body=eu '
            "opened=2024-01-01",
            f"declare {','.join(EU)} abstain date=2024-01-02",
        ],
    )
    reply = await run("/tally all-abstain")
    assert reply.ok, reply.title
    assert reply.data["outcome"] == "pending"
    assert reply.data["needed"] == 1
    text = render_text(reply)
    assert "the rule is met" not in text
    assert "nothing is adopted without support" in reply.lines[0]
