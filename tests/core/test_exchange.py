"""Export, import and backup: a tracker survives the round trip and reads the same at every
date; a roll-call CSV is all or nothing; a backup is consistent while another process writes."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core
from bot.demo import DEMO_TRACKER
from bot.settings import Settings
from bot.storage import Transaction
from bot.tally import compute_tally
from store.sql import insert
from store.thread import as_sqlite
from tallybot.cli import main
from tallybot.wiring import open_core
from tests.conftest import OPERATOR, REPO, Clock, open_demo_core


@pytest.fixture
async def demo(db_path: Path, clock: Clock) -> Any:
    """The demo, plus what a record accumulates: a retraction, an amendment, a withdrawal,
    and an event of a kind this code does not know (an edit another part records)."""
    core = await open_demo_core(Settings(db_path=db_path), clock)
    for text in (
        '/tally declare HU oppose rutte date=2024-04-03 quote="=1+1" speaker="@someone"',
        '/tally retract 3 reason="misattributed"',
        "/tally tracker withdraw nato-sg-2024 Klaus Iohannis date=2024-04-10",
    ):
        reply = await core.dispatcher.run_text(text, OPERATOR)
        assert reply.ok, reply.title

    def extras(tx: Transaction) -> None:
        repo = as_sqlite(tx).records
        insert(
            repo.db,
            "amendments",
            {
                "declaration_id": 2,
                "changes": json.dumps({"quote": "Ständig — amended", "confidence": "reported"}),
                "recorded_by": "console:local:editor (Editor)",
                "recorded_at": "2026-11-23T12:00:00+00:00",
            },
        )
        insert(
            repo.db,
            "tracker_events",
            {
                "tracker_id": 1,
                "kind": "edited",
                "detail": json.dumps({"title": ["old", "NATO Secretary General 2024"]}),
                "made_on": "2026-11-23",
                "recorded_by": "console:local:editor (Editor)",
                "recorded_at": "2026-11-23T12:00:01+00:00",
            },
        )

    await core.store.run(extras)
    yield core
    core.close()


def cli(db: Path, *args: str) -> int:
    return main(["--db", str(db), *args])


def readings(db: Path, slug: str) -> list[dict[str, Any]]:
    """compute_tally at the opening and at every declaration date."""
    core = open_core(Settings(db_path=db))
    try:

        def read(tx: Transaction) -> list[dict[str, Any]]:
            repo = as_sqlite(tx).records
            tracker = repo.tracker_by_slug(slug)
            assert tracker is not None
            days = sorted(
                {
                    date.fromisoformat(r[0])
                    for r in repo.db.execute("SELECT made_on FROM declarations")
                }
                | {tracker.opened, date(2024, 4, 10)}
            )
            body = repo.body(tracker.body)
            return [
                compute_tally(tracker, body, day, repo.positions(tracker, day)).to_data()
                for day in days
            ]

        return core.store.run_blocking(read)
    finally:
        core.close()


async def test_round_trip_reads_the_same_at_every_date(demo: Core, tmp_path: Path) -> None:
    source = demo.settings.db_path
    exported, fresh, again = tmp_path / "a.json", tmp_path / "fresh.db", tmp_path / "b.json"
    assert cli(source, "export", DEMO_TRACKER, "--out", str(exported)) == 0
    assert cli(fresh, "import", str(exported)) == 0
    assert cli(fresh, "export", DEMO_TRACKER, "--out", str(again)) == 0

    assert readings(fresh, DEMO_TRACKER) == readings(source, DEMO_TRACKER)
    first, second = json.loads(exported.read_bytes()), json.loads(again.read_bytes())
    *events, imported = second["events"]
    assert imported["kind"] == "imported"
    assert json.loads(imported["detail"]) == {"from_slug": DEMO_TRACKER}
    first.pop("exported_at"), second.pop("exported_at")
    assert {**second, "events": events} == first


async def test_the_json_export_holds_the_whole_record(demo: Core, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    cli(demo.settings.db_path, "export", DEMO_TRACKER, "--out", str(out))
    document = json.loads(out.read_bytes())

    assert (document["format"], document["version"]) == ("tallybot-tracker", 1)
    assert document["tracker"]["visibility"] == "private"
    assert "archived_at" in document["tracker"]
    iohannis = next(c for c in document["candidates"] if c["name"] == "Klaus Iohannis")
    assert iohannis["withdrawn_on"] == "2024-04-10"
    by_id = {d["id"]: d for d in document["declarations"]}
    assert by_id[3]["retraction"]["reason"] == "misattributed"
    assert by_id[2]["amendments"][0]["changes"] == {
        "quote": "Ständig — amended",
        "confidence": "reported",
    }
    kinds = [e["kind"] for e in document["events"]]
    assert kinds[0] == "opened" and kinds[-1] == "edited"
    assert json.loads(document["events"][-1]["detail"])["title"][0] == "old"


async def test_import_refusals_name_the_problem(
    demo: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo.settings.db_path
    out = tmp_path / "a.json"
    cli(db, "export", DEMO_TRACKER, "--out", str(out))
    capsys.readouterr()

    assert cli(db, "import", str(out)) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli(db, "import", str(out), "--as-slug", "sg-copy") == 0
    assert "Imported sg-copy" in capsys.readouterr().out

    document = json.loads(out.read_bytes())
    cases = {
        "version": ({**document, "version": 2}, "version 2 is not one this tallybot reads"),
        "format": ({**document, "format": "other"}, "Not a tallybot tracker export"),
        "body": (
            {**document, "tracker": {**document["tracker"], "body": "un", "slug": "x1"}},
            "body 'un' is not in this database",
        ),
        "retraction": (
            {
                **document,
                "declarations": [
                    {**document["declarations"][0], "retraction": {"reason": "no author"}}
                ],
            },
            "declarations[0].retraction.recorded_at: missing",
        ),
        "stance": (
            {**document, "declarations": [{**document["declarations"][0], "stance": "maybe"}]},
            "declarations[0]: unknown stance 'maybe'",
        ),
    }
    for name, (changed, message) in cases.items():
        bad = tmp_path / f"{name}.json"
        bad.write_text(json.dumps(changed))
        assert cli(db, "import", str(bad), "--as-slug", "another") == 1, name
        assert message in capsys.readouterr().err, name
    (tmp_path / "junk.json").write_bytes(b"\xff\xfe not json")
    assert cli(db, "import", str(tmp_path / "junk.json")) == 1
    assert "not UTF-8" in capsys.readouterr().err
    slugs = demo.store.run_blocking(lambda tx: tx.records.tracker_slugs())
    assert slugs == [DEMO_TRACKER, "sg-copy"]


async def test_csv_export_opens_cleanly_in_a_spreadsheet(demo: Core, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    cli(demo.settings.db_path, "export", DEMO_TRACKER, "--format", "csv", "--out", str(out))
    data = out.read_bytes()

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(rows[0])[:6] == [
        "id",
        "date",
        "member code",
        "member name",
        "stance",
        "candidate or stage",
    ]
    by_id = {r["id"]: r for r in rows}
    assert by_id["2"]["quote"] == "Ständig — amended"
    assert by_id["2"]["confidence"] == "reported"
    assert (by_id["3"]["retracted"], by_id["3"]["retraction reason"]) == ("yes", "misattributed")
    hungary = rows[-1]
    assert (hungary["member code"], hungary["member name"]) == ("HU", "Hungary")
    assert hungary["candidate or stage"] == "Mark Rutte"
    assert hungary["quote"] == "'=1+1"
    assert hungary["speaker"] == "'@someone"
    assert hungary["recorded by"].startswith("console:local:operator")


ROLL_CALL = "member,stance,date,candidate,quote\n{lines}"


async def test_a_roll_call_with_bad_lines_records_nothing(
    demo: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo.settings.db_path
    before = demo.store.run_blocking(lambda tx: tx.records.count_declarations(1))
    roll_call = tmp_path / "roll.csv"
    roll_call.write_text(
        ROLL_CALL.format(
            lines="TR,support,2024-04-20,rutte,fine\n"
            "Narnia,support,2024-04-20,rutte,\n"
            "SK,maybe,2024-04-20,,\n"
            "\n"
            "FR,support,2031-01-01,rutte,\n"
            "DE,support,2024-04-20,iohannis,withdrawn by then\n"
        )
    )
    assert cli(db, "import", str(roll_call), "--tracker", DEMO_TRACKER) == 1
    err = capsys.readouterr().err
    assert "Nothing imported: 4 of 5 lines are wrong." in err
    assert "line 3: " in err and "Narnia" in err
    assert "line 4: Unknown stance 'maybe'" in err
    assert "line 6: date=2031-01-01 is in the future" in err
    assert "line 7: Klaus Iohannis withdrew on 2024-04-10" in err
    assert "line 2" not in err
    assert demo.store.run_blocking(lambda tx: tx.records.count_declarations(1)) == before


async def test_a_good_roll_call_is_recorded_like_declare(
    demo: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo.settings.db_path
    roll_call = tmp_path / "roll.csv"
    roll_call.write_text(
        "Member,Stance,Date,Candidate,Confidence,Source\n"
        "TR,yes,2024-04-20,Mark Rutte,reported,https://example.org/tr\n"
        "Slovakia,undecided,2024-04-20,,,\n"
    )
    assert cli(db, "import", str(roll_call), "--tracker", DEMO_TRACKER) == 0
    assert "Recorded 2 declarations on nato-sg-2024" in capsys.readouterr().out
    latest = demo.store.run_blocking(lambda tx: tx.records.history(1, limit=2))
    assert [(d.member, str(d.stance), str(d.confidence)) for d in latest] == [
        ("SK", "undecided", "unstated"),
        ("TR", "support", "reported"),
    ]
    assert latest[1].candidate_id == 1 and latest[1].source == "https://example.org/tr"


async def test_an_exported_csv_reads_back_as_a_roll_call(
    demo: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo.settings.db_path
    cli(
        db,
        "export",
        DEMO_TRACKER,
        "--format",
        "csv",
        "--out",
        str(tmp_path / "a.csv"),
    )
    reply = await demo.dispatcher.run_text(
        '/tally tracker new sg-again "Again" kind=selection rule=unanimity '
        'candidates="Mark Rutte,Klaus Iohannis" opened=2024-02-22',
        OPERATOR,
    )
    assert reply.ok, reply.title
    capsys.readouterr()
    assert cli(db, "import", str(tmp_path / "a.csv"), "--tracker", "sg-again") == 0
    out = capsys.readouterr().out
    assert "(1 line marked retracted was skipped)" in out
    quotes = demo.store.run_blocking(
        lambda tx: [d.quote for d in tx.records.history(2, member="HU", limit=5)]
    )
    assert "=1+1" in quotes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"member,stance,date\nHU,oppose,2024-04-20\nPL,s\xe9,2024-04-20\n", "Line 3 is not UTF-8"),
        (
            b'member,stance,date,quote\nHU,oppose,2024-04-20,"' + b"x" * (130 * 1024) + b'"\n',
            "longer than 128 KiB",
        ),
        (b"member,stance\nHU,oppose\n", "missing: date"),
        (b"member,stance,date,mood\nHU,oppose,2024-04-20,sad\n", "Unknown column mood"),
        (b"member,stance,date\nHU,oppose,2024-04-20,extra\n", "Line 2 has 4 cells for 3 columns"),
    ],
)
async def test_unreadable_roll_calls_get_a_sentence(
    demo: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    roll_call = tmp_path / "roll.csv"
    roll_call.write_bytes(content)
    assert cli(demo.settings.db_path, "import", str(roll_call), "--tracker", DEMO_TRACKER) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_exec_export_saves_the_file_and_prints_its_path(demo: Core, tmp_path: Path) -> None:
    """`tallybot exec` as a real process: the file lands in its working directory."""
    db = str(demo.settings.db_path)

    def tallybot(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tallybot", "--db", db, *args]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    first, second = tallybot("exec", "/tally export format=csv"), tallybot("exec", "/tally export")
    assert first.returncode == second.returncode == 0
    csv_file = next(tmp_path.glob("nato-sg-2024-*.csv"))
    json_file = next(tmp_path.glob("nato-sg-2024-*.json"))
    assert f"File saved: {csv_file}" in first.stdout
    assert f"File saved: {json_file}" in second.stdout
    assert json.loads(json_file.read_bytes())["tracker"]["slug"] == DEMO_TRACKER
    again = tallybot("exec", "/tally export format=csv")
    assert f"File saved: {csv_file.with_name(csv_file.stem + '-1.csv')}" in again.stdout
    refused = tallybot("exec", "--as", "reader", "/tally export")
    assert refused.returncode == 1 and "Only moderators" in refused.stdout


WRITER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("PRAGMA busy_timeout = 30000")
deadline = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < deadline:
    db.execute("BEGIN IMMEDIATE")
    cur = db.execute(
        "INSERT INTO declarations (tracker_id, member, stance, candidate_id, made_on,"
        " recorded_by, recorded_at) VALUES (1, 'HU', 'oppose', 1, '2024-04-20', 'w', 'now')"
    )
    db.execute(
        "INSERT INTO retractions (declaration_id, reason, recorded_by, recorded_at)"
        " VALUES (?, 'pair', 'w', 'now')",
        [cur.lastrowid],
    )
    db.execute("COMMIT")
    n += 1
print(n)
"""


@pytest.mark.sqlite_only  # tallybot backup copies the SQLite file (PostgreSQL: pg_dump)
async def test_backup_is_consistent_while_another_process_writes(
    demo: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo.settings.db_path
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), "3"], cwd=REPO, stdout=subprocess.PIPE
    )
    counts = []
    try:
        time.sleep(0.3)
        for index in range(5):
            copy = tmp_path / f"backup-{index}.db"
            assert cli(db, "backup", str(copy)) == 0
            with sqlite3.connect(copy) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
                written = conn.execute(
                    "SELECT COUNT(*) FROM declarations WHERE recorded_by = 'w'"
                ).fetchone()[0]
                paired = conn.execute(
                    "SELECT COUNT(*) FROM retractions WHERE reason = 'pair'"
                ).fetchone()[0]
            assert written == paired, "a backup caught half a transaction"
            counts.append(written)
            time.sleep(0.2)
    finally:
        stdout, _ = writer.communicate(timeout=30)
    assert writer.returncode == 0
    assert int(stdout) > 0
    assert counts == sorted(counts) and counts[-1] > counts[0] > 0
    assert "Backed up" in capsys.readouterr().out


@pytest.mark.sqlite_only
async def test_backup_refuses_to_overwrite_or_to_invent_a_database(
    demo: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo.settings.db_path
    copy = tmp_path / "copy.db"
    assert cli(db, "backup", str(copy)) == 0
    assert cli(db, "backup", str(copy)) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli(db, "backup", str(copy), "--force") == 0
    assert cli(tmp_path / "missing.db", "backup", str(tmp_path / "x.db")) == 2
    assert "No database at" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()
