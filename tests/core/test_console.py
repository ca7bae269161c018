"""The console adapter's own parts: completion and plain-text rendering."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.console.render import render_text
from adapters.console.repl import Completer, completion_words
from bot.app import Core
from bot.demo import DEMO_COMMANDS

from .test_seed_stories import replay


async def test_completion_offers_commands_members_and_trackers(core: Core, run: Any) -> None:
    await replay(run, DEMO_COMMANDS[:1])
    words = await asyncio.to_thread(completion_words, core)
    completer = Completer(lambda: words)
    assert completer.complete("decl", 0) == "declare"
    assert completer.complete("Lith", 0) == "Lithuania"
    assert completer.complete("nato-", 0) == "nato-sg-2024"
    assert completer.complete("quo", 0) == "quote="
    assert completer.complete("zzz", 0) is None


async def test_rendered_tally_reads_as_text(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)
    text = render_text(await run("/tally"))
    assert text.startswith("⛔ NATO Secretary General 2024")
    assert "Support Mark Rutte (28)" in text and "🇭🇺\u00a0Hungary (Mark Rutte)" in text


async def test_help_wraps_a_long_summary_between_words(run: Any) -> None:
    """A summary longer than a line (confirm's) wraps at a space, never inside a word."""
    text = render_text(await run("/tally help"))
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  /tally confirm ID"))
    summary = " ".join(line.strip() for line in lines[at + 1 : at + 3])
    assert "its suggester is credited and told. (moderators)" in summary
    assert all(len(line) <= 100 for line in lines[at + 1 : at + 3])
    await replay(run, DEMO_COMMANDS)
    tally = render_text(await run("/tally"))
    assert "United Kingdom" in tally  # list items still keep together
    assert not any(line.rstrip().endswith("United") for line in tally.splitlines())
