"""Replays of an adversarial tester's findings on issue 8's implementation: each test runs the
reported case through the ordinary commands on a real SQLite file (or a real `tallybot`
subprocess where the exit status matters)."""

from __future__ import annotations

import copy
import json
import os
import pty
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.console.render import render_text
from adapters.console.repl import operator_actor
from bot.app import Core
from bot.demo import DEMO_COMMANDS, DEMO_TRACKER
from bot.members import shipped_body
from store.thread import as_sqlite

from .test_cli import ROOT, tallybot
from .test_commands import snapshot
from .test_record_keeping import refused
from .test_seed_stories import replay

EU = [m.code for m in shipped_body("eu").members_on(date(2024, 1, 1))]
NATO_2022 = [m.code for m in shipped_body("nato").members_on(date(2022, 7, 5))]


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


# 4. A hand-edited export is checked as the commands would check it ------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("export")
    db = folder / "demo.db"
    assert tallybot("demo", db=db).returncode == 0
    closing = 'tracker close nato-sg-2024 outcome="Rutte" date=2024-06-26'
    assert tallybot("exec", closing, db=db).returncode == 0
    result = tallybot("export", "nato-sg-2024", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _edit(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(record)
    *parents, last = path.split(".")
    target: Any = edited
    for part in parents:
        name, _, index = part.partition("[")
        target = target[name][int(index[:-1])] if index else target[name]
    target[last] = value
    return edited


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("declarations[3].made_on", "2024-01-01", "declarations[3].made_on: 2024-01-01 is before"),
        ("declarations[3].made_on", "2099-01-01", "declarations[3].made_on: 2099-01-01 is in the"),
        ("tracker.opened", "2099-01-01", "tracker.opened: opened=2099-01-01 is in the future"),
        ("tracker.closed_on", "2024-03-01", "is after the tracker closed on 2024-03-01"),
        ("declarations[3].source", "javascript:alert(1)", "declarations[3].source: source="),
        (
            "tracker.title",
            "x" * 100_000,
            "tracker.title: TITLE is too long: 100,000 characters; at most 200 are allowed. "
            "Shorten it.",
        ),
        (
            "declarations[4].quote",
            "q" * 200_000,
            "quote is too long: 200,000 characters; at most 4,000 are allowed. Shorten it (link",
        ),
        ("declarations[3].recorded_at", "garbage", "declarations[3].recorded_at: 'garbage'"),
        ("declarations[3].recorded_at", "2024-04-02T10:00:00", "has no time zone"),
    ],
)
def test_import_refuses_what_the_commands_refuse(
    exported: dict[str, Any], tmp_path: Path, path: str, value: Any, expected: str
) -> None:
    file = tmp_path / "edited.json"
    file.write_text(json.dumps(_edit(exported, path, value)))
    db = tmp_path / "empty.db"
    result = tallybot("import", str(file), db=db)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    listed = tallybot("exec", "/tally trackers", db=db)
    assert "nato-sg-2024" not in listed.stdout


# 18. A database in a folder that does not exist ------------------------------------------------


def test_a_database_in_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    db = tmp_path / "nonexistent" / "dir" / "x.db"
    result = tallybot("exec", "/tally trackers", db=db)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"the folder {db.parent} does not exist" in result.stderr
    assert not (tmp_path / "nonexistent").exists()


# 5. body import never replaces a body silently -----------------------------------------------


def test_body_import_refuses_to_replace_a_body_without_replace(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    one = tmp_path / "solo.csv"
    one.write_text("code,name,joined\nDK,Denmark,1952-01-01\n", encoding="utf-8")
    first = tallybot("body", "import", str(one), db=db)
    assert first.returncode == 0, first.stderr
    assert "1 member." in first.stdout and "1 members" not in first.stdout
    again = tallybot("body", "import", str(one), db=db)
    assert again.returncode == 1
    assert "A body 'solo' already exists: add --replace" in again.stderr
    shipped = tallybot("body", "import", str(one), "--slug", "nato", db=db)
    assert shipped.returncode == 1
    assert "'nato' (shipped with tallybot) already exists" in shipped.stderr
    bodies = json.loads(tallybot("exec", "--json", "/tally bodies", db=db).stdout)["bodies"]
    assert {b["slug"]: b["members"] for b in bodies}["nato"] == 32
    replaced = tallybot("body", "import", str(one), "--replace", db=db)
    assert replaced.returncode == 0, replaced.stderr
    assert "Replaced the members of body 'solo'" in replaced.stdout


# 6. A member that joined after the close ------------------------------------------------------


async def test_a_member_that_joined_after_the_close_is_refused(core: Core, run: Any) -> None:
    await replay(
        run,
        [
            'tracker new fi2 "Finland" kind=approval rule=unanimity subject=FI opened=2022-05-18',
            'tracker close fi2 outcome="Finland joined" date=2023-04-04',
        ],
    )
    title = await refused(core, run, "declare SE support tracker=fi2 date=2023-04-01")
    assert title.endswith(
        "Sweden joined NATO on 2024-03-07, after fi2 closed on 2023-04-04: "
        "it never counts on this tracker."
    )


# 7. backup to a folder that does not exist -------------------------------------------------------


def test_backup_to_a_missing_folder_is_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    made = tallybot("exec", 'tracker new one "One" kind=approval rule=majority', db=db)
    assert made.returncode == 0, made.stdout
    result = tallybot("backup", "/nonexistent/x.db", db=db)
    assert result.returncode == 1
    assert result.stderr == (
        "error: Can't write the backup /nonexistent/x.db: the folder /nonexistent does not exist.\n"
    )
    done = tallybot("backup", str(tmp_path / "copy.db"), db=db)
    assert done.returncode == 0, done.stderr
    assert ": 1 tracker, 0 declarations." in done.stdout


# 15. Plurals ----------------------------------------------------------------------------------


async def test_counts_agree_with_their_nouns(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new fi3 "Finland" kind=approval rule=unanimity subject=FI opened=2022-05-18',
            f"declare {','.join(c for c in NATO_2022 if c != 'FI')} support tracker=fi3 "
            "date=2022-07-05",
        ],
    )
    reply = await run("/tally holdouts fi3 as_of=2022-07-05")
    assert reply.ok, reply.title
    assert "0 members" not in render_text(reply)
    assert "Every member is counted as approving." in render_text(reply)


# 8. import --as-slug follows the slug rule of tracker new ----------------------------------------


@pytest.mark.parametrize("slug", ["help", "history", "Bad Slug!"])
def test_import_as_a_command_word_is_refused(
    exported: dict[str, Any], tmp_path: Path, slug: str
) -> None:
    file = tmp_path / "e.json"
    file.write_text(json.dumps(exported))
    result = tallybot("import", str(file), "--as-slug", slug, db=tmp_path / "i.db")
    assert result.returncode == 1
    assert f"'{slug}' can't be a tracker name" in result.stderr
    assert "not a command word" in result.stderr


# 9. Clearing a field --------------------------------------------------------------------------


async def test_an_empty_value_says_how_to_clear_a_field(core: Core, run: Any) -> None:
    await replay(run, DEMO_COMMANDS)
    title = await refused(core, run, 'amend 5 speaker=""', "Nothing to amend", "speaker=none")
    assert "to clear a field" in title
    await refused(core, run, f'tracker edit {DEMO_TRACKER} subject=""', "subject=none")
    reply = await run("amend 5 speaker=none source=none")
    assert reply.ok, reply.title
    assert reply.data["changes"] == {"source": None, "speaker": None}
    position = render_text(await run("/tally position HU"))
    assert "Szijjarto" in position  # the original stays visible
    await refused(core, run, "amend 5 source=javascript:alert(1)", "is not a web address")


# 11, 12, 18. Console output: no invisible headings, names kept whole, bidi controls shown -----


async def test_console_history_marks_a_continued_day_visibly(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)
    text = render_text(await run("/tally history"))
    assert "\u200b" not in text
    assert "\n  (continued)\n" in text


async def test_console_never_wraps_a_member_name(run: Any) -> None:
    await replay(run, ['tracker new gb "Question" kind=approval rule=unanimity opened=2024-01-01'])
    reply = await run("/tally holdouts gb")
    for width in range(30, 90):
        lines = render_text(reply, width=width).splitlines()
        assert not any(line.rstrip().endswith(("United", "North")) for line in lines), width
        assert any("United Kingdom" in line for line in lines)


async def test_console_shows_bidi_controls_instead_of_obeying_them(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new bidi "Question" kind=approval rule=unanimity opened=2024-01-01',
            'declare HU oppose tracker=bidi date=2024-01-02 quote="abc\u202edef\u2066x\u2069"',
        ],
    )
    text = render_text(await run("/tally position HU tracker=bidi"))
    assert "abc\\u202edef\\u2066x\\u2069" in text
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in text)


# 10, 14, 20. History and position: each date once, later declarations marked, time order -----


async def test_history_and_position_print_each_date_once(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new sg "SG" kind=selection rule=unanimity candidates="Rutte,Iohannis" '
            "opened=2024-02-01",
            "declare NL support rutte date=2024-02-03",
        ],
    )
    history = render_text(await run("/tally history sg"))
    assert "\n  2024-02-03\n" in history
    assert history.count("2024-02-03") == 1
    position = render_text(await run("/tally position NL tracker=sg"))
    assert position.count("2024-02-03") == 2  # "(since 2024-02-03)" and the entry's heading


async def test_position_as_of_marks_later_declarations(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)
    await replay(run, [f"declare HU support rutte tracker={DEMO_TRACKER} date=2024-06-18"])
    reply = await run("/tally position HU as_of=2024-04-01")
    assert reply.ok, reply.title
    names = [field.name for field in reply.fields]
    assert names[0].startswith("#31 · 2024-06-18 (after 2024-04-01) · ")
    assert "after" not in names[1]
    assert reply.context[0] == (
        "Newest first; 2 shown, those marked after 2024-04-01 do not count in this reading. "
        "Ids are for /tally retract and /tally amend."
    )


async def test_history_interleaves_events_and_declarations_by_time(run: Any, clock: Any) -> None:
    start = clock.now
    steps = [
        'tracker new sg2 "SG" kind=selection rule=unanimity candidates="Rutte,Iohannis" '
        "opened=2024-02-01",
        "declare NL support rutte date=2024-03-01",
        "tracker withdraw sg2 Iohannis date=2024-03-01",
        "declare BE support rutte date=2024-03-01",
    ]
    for minutes, step in enumerate(steps):
        clock.now = start + timedelta(minutes=minutes)
        await replay(run, [step])
    reply = await run("/tally history sg2")
    day = next(field for field in reply.fields if field.name == "2024-03-01")
    assert [item.split(" ")[1] for item in day.items] == [
        "🇧🇪\u00a0Belgium",
        "Iohannis",
        "🇳🇱\u00a0Netherlands",
    ], day.items


# 16. An abandoned tracker does not read like a live one --------------------------------------


async def test_an_abandoned_tracker_shows_how_it_ended(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new gone "Gone" kind=approval rule=unanimity opened=2024-01-01',
            "declare HU support tracker=gone date=2024-02-01",
            'tracker close gone outcome="Dropped" status=abandoned date=2024-03-01',
        ],
    )
    reply = await run("/tally gone")
    text = render_text(reply)
    assert "needs" not in text and "⏳" not in text
    assert reply.lines[0] == "Approved by 1 of 31 · abandoned on 2024-03-01, the rule not met"
    assert "Abandoned on 2024-03-01: Dropped" in text
    assert reply.data["closed"] is True and reply.data["status"] == "abandoned"
    assert reply.data["outcome"] == "pending"  # the count as it stood when it closed


# 17. export: a terminal gets no raw escapes; --out never overwrites silently ---------------------


def _export_on_a_terminal(db: Path, *args: str) -> bytes:
    """Run `tallybot export` with its stdout on a pseudo-terminal, as a user at a shell."""
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["TALLYBOT_DB"] = str(db)
    process = subprocess.Popen(
        [sys.executable, "-m", "tallybot", "export", *args], stdout=child, env=env, cwd=ROOT
    )
    os.close(child)
    output = bytearray()
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=60) == 0
    os.close(main)
    return bytes(output)


def test_export_to_a_terminal_neutralises_escapes_and_files_stay_lossless(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    for step in (
        'tracker new esc "Esc" kind=approval rule=majority opened=2024-01-01',
        'declare HU oppose tracker=esc date=2024-01-02 quote="red\x1b[31m alarm\x1b]0;pwned\x07"',
    ):
        assert tallybot("exec", step, db=db).returncode == 0
    shown = _export_on_a_terminal(db, "esc", "--format", "csv")
    assert b"\x1b" not in shown and b"\x07" not in shown
    assert b"red\\x1b[31m alarm" in shown
    out = tmp_path / "esc.csv"
    assert tallybot("export", "esc", "--format", "csv", "--out", str(out), db=db).returncode == 0
    assert b"red\x1b[31m alarm\x1b]0;pwned\x07" in out.read_bytes()
    again = tallybot("export", "esc", "--out", str(out), db=db)
    assert again.returncode == 1
    assert f"{out} already exists: choose another name, or add --force." in again.stderr
    assert b"\x1b[31m" in out.read_bytes()  # untouched
    forced = tallybot("export", "esc", "--out", str(out), "--force", db=db)
    assert forced.returncode == 0 and out.read_bytes().startswith(b"{")


# 13. import: a JSON file given as a roll-call; a roll-call without candidates ------------------


def test_import_says_what_kind_of_file_it_was_given(
    exported: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    made = tallybot(
        "exec",
        'tracker new race "Race" kind=selection rule=unanimity candidates="Rutte,Iohannis" '
        "opened=2024-01-01",
        db=db,
    )
    assert made.returncode == 0, made.stdout
    export = tmp_path / "export.json"
    export.write_text(json.dumps(exported))
    wrong = tallybot("import", str(export), "--tracker", "race", db=db)
    assert wrong.returncode == 1
    assert "is a JSON export, not a CSV roll-call: drop --tracker" in wrong.stderr
    roll = tmp_path / "roll.csv"
    roll.write_text("member,stance,date\nHU,support,2024-02-01\n", encoding="utf-8")
    bare = tallybot("import", str(roll), "--tracker", "race", db=db)
    assert bare.returncode == 1
    assert "line 2: no candidate: race is a selection, so add a candidate column" in bare.stderr
    assert "Name one after the stance" not in bare.stderr


# 15. Wording: a typo is not stated as a fact; a body's name reads in a sentence ---------------


async def test_a_typo_is_not_stated_as_a_fact(run: Any) -> None:
    await replay(run, ['tracker new qa "Q" kind=approval rule=unanimity opened=2024-01-01'])
    typo = await run("declare Germny support tracker=qa")
    assert typo.title == "⚠️ No member 'Germny' in NATO. Did you mean Germany?"
    outsider = await run("declare Austria support tracker=qa")
    assert outsider.title == "⚠️ Austria is not a member of NATO."
    await replay(run, ['tracker new qb "Q" kind=approval rule=unanimity body=eu opened=2024-01-01'])
    norway = await run("declare Norway support tracker=qb")
    assert norway.title == "⚠️ Norway is not a member of the EU Council."
