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
