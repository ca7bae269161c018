"""Replays of an adversarial tester's findings on issue 8's implementation: each test runs the
reported case through the ordinary commands on a real SQLite file (or a real `tallybot`
subprocess where the exit status matters)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from adapters.console.render import render_text
from adapters.console.repl import operator_actor
from bot.app import Core
from bot.demo import DEMO_COMMANDS, DEMO_TRACKER
from bot.members import shipped_body
from store.thread import as_sqlite

from .test_cli import tallybot
from .test_commands import snapshot
from .test_record_keeping import refused
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


# 2. A tracker opened before its body had members ------------------------------------------------


async def test_opening_before_the_body_had_members_is_refused(core: Core, run: Any) -> None:
    await refused(
        core,
        run,
        'tracker new old2 "Old" kind=approval rule=unanimity opened=1900-01-01',
        "opened=1900-01-01",
        "1949-",
    )
    await replay(run, ['tracker new old3 "Old" kind=approval rule=unanimity opened=1950-01-01'])
    await refused(core, run, "tracker edit old3 opened=1920-01-01", "1949-")


async def test_a_day_without_members_gets_a_message_not_a_verdict(core: Core, run: Any) -> None:
    await replay(run, ['tracker new old4 "Old" kind=approval rule=unanimity opened=1950-01-01'])
    # A tracker stored before the check existed, opened before NATO had members.
    await core.store.run(
        lambda tx: as_sqlite(tx).records.db.execute(
            "UPDATE trackers SET opened = '1900-01-01' WHERE slug = 'old4'"
        )
    )
    reply = await run("/tally old4 as_of=1920-01-01")
    assert not reply.ok
    assert "no members on 1920-01-01" in reply.title
    assert "rule is met" not in render_text(reply)


# 3. The demo names its tracker and is all or nothing --------------------------------------------


def test_demo_loads_beside_another_open_tracker(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    made = tallybot(
        "exec", 'tracker new other "Other" kind=approval rule=majority opened=2024-01-01', db=db
    )
    assert made.returncode == 0, made.stdout + made.stderr
    result = tallybot("demo", db=db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "28 of 32 support" in result.stdout


async def test_a_failing_demo_step_leaves_nothing_behind(core: Core) -> None:
    before = await snapshot(core)
    steps = (*DEMO_COMMANDS, f"declare HU support nobody tracker={DEMO_TRACKER}")
    replies = await core.dispatcher.run_all(steps, operator_actor())
    assert len(replies) == 1 and not replies[0].ok
    assert "declare HU support nobody" in replies[0].title
    assert await snapshot(core) == before
