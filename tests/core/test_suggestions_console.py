"""Suggest and review at the console: numbered entries and prompts instead of buttons, as a
real `tallybot` process reads them from its terminal, and the prompts' Edit and Reject paths."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from adapters.console.review import review_prompts
from bot.app import Core
from bot.demo import DEMO_COMMANDS
from tests.conftest import OPERATOR, READER
from tests.core.test_cli import tallybot
from tests.core.test_seed_stories import replay

SOURCE = "https://example.org/budapest-backs-rutte"


def test_a_suggestion_made_with_exec_is_confirmed_at_the_console(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    assert tallybot("demo", db=db).returncode == 0
    sent = tallybot(
        "exec",
        "--as",
        "alice",
        f'/tally suggest HU support rutte source={SOURCE} quote="@everyone we back him" '
        "date=2024-06-18",
        db=db,
    )
    assert sent.returncode == 0, sent.stderr
    assert "Sent to the moderators: 🇭🇺\u00a0Hungary backs Mark Rutte" in sent.stdout
    console = tallybot(
        "run", db=db, stdin="/tally review\n1\n1\n/tally history member=HU limit=1\n"
    )
    out = console.stdout
    assert console.returncode == 0, console.stderr
    assert "[1] #1 · nato-sg-2024 · 2024-06-18 · 🇭🇺\u00a0Hungary backs Mark Rutte" in out
    assert "Now: opposes Mark Rutte (since 2024-03-05, #5)" in out
    assert "suggested by alice" in out
    assert "Recorded #31: 🇭🇺\u00a0Hungary backs Mark Rutte" in out
    assert "📨 for alice: ✅ Your suggestion #1 was confirmed" in out
    assert "· suggested by alice, confirmed by " in out  # the history credits both


def _asker(answers: list[str]) -> Callable[[str], Awaitable[str]]:
    async def ask(prompt: str) -> str:
        return answers.pop(0) if answers else ""

    return ask


async def test_edit_then_reject_through_the_prompts(core: Core, run: Callable[..., Any]) -> None:
    await replay(run, DEMO_COMMANDS)
    for member in ("HU", "SK"):
        reply = await run(f"suggest {member} support rutte source={SOURCE} date=2024-06-18", READER)
        assert reply.ok, reply.title
    review = await run("review", OPERATOR)
    # Entry 1, edit: stance oppose, keep the candidate, keep the date, clear the quote, speaker.
    answers = ["1", "2", "oppose", "", "", "-", "Peter Szijjarto", "2", "3", "duplicate", ""]
    ask = _asker(answers)
    said: list[str] = []
    await review_prompts(core, OPERATOR, review, ask, said.append)
    assert "Recorded #31: 🇭🇺\u00a0Hungary opposes Mark Rutte" in said[0]
    assert "edited" in said[0]
    assert "Rejected suggestion #2: 🇸🇰\u00a0Slovakia backs Mark Rutte" in said[1]
    assert "Reason: duplicate" in said[1]
    history = await run("history member=HU limit=1")
    assert "Peter Szijjarto" in history.fields[0].items[0]
    again = await run("review", OPERATOR)
    assert again.title == "No suggestions to review."
    assert "#2 rejected by Operator: duplicate" in again.context[0]


async def test_edit_without_the_stance_a_feed_left_asks_again_then_records_nothing(
    core: Core, run: Callable[..., Any]
) -> None:
    """A feed's suggestion has no stance: Edit asks again for it, and a second Enter records
    nothing with a reason that fits (not 'press Edit', said inside Edit)."""
    from bot.suggestions.model import NewSuggestion
    from bot.suggestions.propose import propose

    await replay(run, DEMO_COMMANDS)

    def feed_suggests(tx: Any) -> None:
        community = tx.records.community_of("console", "local")
        tracker = tx.records.scoped(community.id).tracker_by_slug("nato-sg-2024")
        new = NewSuggestion(
            community_id=community.id,
            tracker_id=tracker.id,
            member="HU",
            stance=None,
            target="rutte",
            source=SOURCE,
            suggested_by="feed:https://news.example/rss",
        )
        propose(tx, new, core.dispatcher.clock())

    await core.store.run(feed_suggests)
    review = await run("review", OPERATOR)
    prompts: list[str] = []
    answers = ["1", "2", "", "", "", "", "", ""]

    async def ask(prompt: str) -> str:
        prompts.append(prompt)
        return answers.pop(0) if answers else ""

    said: list[str] = []
    await review_prompts(core, OPERATOR, review, ask, said.append)
    assert "Stance is needed: " in prompts
    assert said[0] == (
        "⚠️ Not confirmed: the stance is needed. Nothing was recorded; pick the entry again to "
        "edit it."
    )
    assert (await run("review", OPERATOR)).data["pending"] == 1
    answers[:] = ["1", "2", "", "oppose", "", "", "", "", ""]
    await review_prompts(core, OPERATOR, review, ask, said.append)
    assert "Recorded #31: 🇭🇺\u00a0Hungary opposes Mark Rutte" in said[1]
