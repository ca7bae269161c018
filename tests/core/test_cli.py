"""`tallybot` as a user runs it: a real subprocess on a real SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TALLYBOT = [sys.executable, "-m", "tallybot"]
ROOT = Path(__file__).resolve().parents[2]


def tallybot(*args: str, db: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["TALLYBOT_DB"] = str(db)
    return subprocess.run(
        [*TALLYBOT, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        input=stdin,
        timeout=60,
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "demo.db"
    result = tallybot("demo", db=db)
    assert result.returncode == 0, result.stderr
    assert "28 of 32 support" in result.stdout
    return db


def test_exec_json_has_the_documented_keys(demo_db: Path) -> None:
    result = tallybot("exec", "--json", "/tally", db=demo_db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in (
        "tracker",
        "as_of",
        "rule",
        "members_total",
        "outcome",
        "blocked_by",
        "needed",
        "undeclared",
        "by_stance",
        "by_candidate",
    ):
        assert key in data
    assert data["outcome"] == "blocked" and data["blocked_by"] == ["HU"]
    assert data["needed"] == 4 and data["members_total"] == 32


def test_exec_reports_errors_with_a_non_zero_status(demo_db: Path) -> None:
    result = tallybot("exec", "/tally position Lithuana", db=demo_db)
    assert result.returncode == 1
    assert "Did you mean Lithuania?" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_exec_as_a_user_cannot_write(demo_db: Path) -> None:
    result = tallybot("exec", "--as", "visitor", "declare TR support rutte", db=demo_db)
    assert result.returncode == 1 and "Only moderators" in result.stdout
    check = tallybot("exec", "--json", "/tally position TR", db=demo_db)
    assert json.loads(check.stdout)["history"] == []


def test_demo_twice_is_harmless(demo_db: Path) -> None:
    result = tallybot("demo", db=demo_db)
    assert result.returncode == 0 and "already loaded" in result.stdout


def test_body_import_from_csv(tmp_path: Path) -> None:
    csv_file = tmp_path / "nordic.csv"
    csv_file.write_text(
        "code,name,joined,left,population,aliases\n"
        "DK,Denmark,1952-01-01,,,Danmark\nFI,Finland,1955-01-01,,,Suomi\n"
        "IS,Iceland,1952-01-01,,,\nNO,Norway,1952-01-01,,,Norge\nSE,Sweden,1952-01-01,,,\n",
        encoding="utf-8",
    )
    db = tmp_path / "n.db"
    result = tallybot("body", "import", str(csv_file), "--name", "Nordic Council", db=db)
    assert result.returncode == 0, result.stderr
    made = tallybot(
        "exec",
        'tracker new nc-1 "Nordic question" kind=approval rule=majority body=nordic',
        db=db,
    )
    assert made.returncode == 0, made.stdout
    data = json.loads(tallybot("exec", "--json", "/tally nc-1", db=db).stdout)
    assert data["members_total"] == 5 and data["needed"] == 3


def test_body_import_for_one_community(tmp_path: Path) -> None:
    """--community makes the body that community's own: others neither see nor use it."""
    csv_file = tmp_path / "nordic.csv"
    csv_file.write_text(
        "code,name,joined,left,population,aliases\n"
        "IS,Iceland,1952-01-01,,,\nNO,Norway,1952-01-01,,,Norge\n",
        encoding="utf-8",
    )
    db = tmp_path / "c.db"
    unknown = tallybot("body", "import", str(csv_file), "--community", "nobody", db=db)
    assert unknown.returncode == 1
    assert "No community 'nobody'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    first = tallybot("exec", "/tally tracker new q1 Q kind=approval rule=majority body=eu", db=db)
    assert first.returncode == 0, first.stdout  # the console's community, named "local"
    result = tallybot("body", "import", str(csv_file), "--community", "local", db=db)
    assert result.returncode == 0, result.stderr
    assert "for community 'local' alone" in result.stdout
    made = tallybot(
        "exec", "/tally tracker new nc-1 Nordic kind=approval rule=majority body=nordic", db=db
    )
    assert made.returncode == 0, made.stdout
    with sqlite3.connect(db) as conn:
        owner = conn.execute(
            "SELECT c.slug FROM bodies b JOIN communities c ON c.id = b.community_id "
            "WHERE b.slug = 'nordic'"
        ).fetchone()
    assert owner == ("local",)


def test_body_import_rejects_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,joined\nXYZ,Nowhere,2020-01-01\n", encoding="utf-8")
    result = tallybot("body", "import", str(bad), db=tmp_path / "b.db")
    assert result.returncode == 1
    assert "line 2: code 'XYZ' is not a two-letter ISO 3166 code" in result.stderr


def test_console_runs_commands_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    result = tallybot("run", db=db, stdin="/tally trackers\n/tally help\n")
    assert result.returncode == 0, result.stderr
    assert "No trackers yet" in result.stdout and "/tally declare" in result.stdout


def test_body_import_never_drops_a_member_that_declared(demo_db: Path, tmp_path: Path) -> None:
    shipped = (ROOT / "bot" / "data" / "nato.csv").read_text(encoding="utf-8").splitlines()
    without_lt = tmp_path / "nato.csv"
    without_lt.write_text(
        "\n".join(line for line in shipped if not line.startswith("LT,")) + "\n",
        encoding="utf-8",
    )
    result = tallybot("body", "import", str(without_lt), "--slug", "nato", "--replace", db=demo_db)
    assert result.returncode == 1 and "leaves out LT" in result.stderr
    bad = tallybot("body", "import", str(without_lt), "--slug", "Bad Slug!", db=demo_db)
    assert bad.returncode == 1 and "can't be a body name" in bad.stderr


def test_the_launchers_defaults_are_the_cores() -> None:
    """tallybot/cli.py repeats three defaults so that building the parser stays light."""
    from bot.alerts.delivery import DeliveryPolicy
    from bot.commands.exchange import FORMATS
    from tallybot.cli import EXPORT_FORMATS, SEND_TIMEOUT, WATCH_EVERY

    assert tuple(FORMATS) == EXPORT_FORMATS
    assert DeliveryPolicy().send_timeout == SEND_TIMEOUT
    assert DeliveryPolicy().watch_every == WATCH_EVERY
