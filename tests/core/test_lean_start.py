"""`tallybot exec` answers a question without importing what only writes or chat platforms need
(sqlite-utils costs more than the rest of the start-up: it loads numpy when it is installed),
and the standard-library read path gives what sqlite-utils gave."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database, Migrations

from store.connection import Connection
from store.database import open_database, pending_migrations
from store.schema import MIGRATION_SET, MIGRATIONS_TABLE, STEPS, migrations
from tests.conftest import REPO

HEAVY = ("sqlite_utils", "numpy", "matplotlib", "discord", "slack_bolt", "slack_sdk")
HEAVY += ("apscheduler", "aiohttp", "PIL")
"""Top-level packages a read-only `tallybot exec` must not import."""


def imported_by(db: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -X importtime -m tallybot ARGS` on `db`: the result and the top-level
    packages it imported (every import is a line of -X importtime, cached ones aside)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["TALLYBOT_DB"] = str(db)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tallybot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    packages = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }
    return result, packages


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("lean") / "demo.db"
    result, _ = imported_by(db, "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    return db


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/tally help", "/tally position"),
        ("/tally trackers", "nato-sg-2024"),
        ("/tally position HU", "Hungary"),
    ],
)
def test_a_read_imports_no_heavy_library(demo_db: Path, command: str, answer: str) -> None:
    result, packages = imported_by(demo_db, "exec", command)
    assert result.returncode == 0, result.stdout + result.stderr
    assert answer in result.stdout
    assert "tallybot" in packages and "sqlite3" in packages  # the trace is read right
    assert sorted(packages.intersection(HEAVY)) == []


def test_a_new_file_still_gets_its_schema_through_sqlite_utils(tmp_path: Path) -> None:
    """The control: pending migrations do import sqlite-utils, and apply every step."""
    db = tmp_path / "new.db"
    result, packages = imported_by(db, "exec", "/tally trackers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sqlite_utils" in packages
    with sqlite3.connect(db) as conn:
        applied = [r[0] for r in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")]
    assert applied == [step.__name__ for step in STEPS]


def test_a_write_after_a_read_works_on_the_lean_connection(demo_db: Path) -> None:
    result, packages = imported_by(demo_db, "exec", "/tally declare TR support rutte")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sqlite_utils" in packages  # table helpers made on the first write
    check, _ = imported_by(demo_db, "exec", "/tally position TR")
    assert "support" in check.stdout.lower()


def test_the_migration_names_are_those_sqlite_utils_uses() -> None:
    assert Migrations.migrations_table == MIGRATIONS_TABLE
    assert migrations().name == MIGRATION_SET
    assert [m.name for m in migrations()._migrations] == [step.__name__ for step in STEPS]


def test_pending_migrations_agree_with_sqlite_utils(tmp_path: Path) -> None:
    """On a new file, a file part-way (an older release's), and an up-to-date file."""
    path = tmp_path / "steps.db"
    conn = Connection(sqlite3.connect(path, isolation_level=None))
    utils = Database(conn.conn, execute_plugins=False)
    assert pending_migrations(conn) == [m.name for m in migrations().pending(utils)]
    older = migrations()
    older.apply(utils, stop_before=STEPS[3].__name__)
    assert pending_migrations(conn) == [m.name for m in migrations().pending(utils)]
    assert pending_migrations(conn) == [step.__name__ for step in STEPS[3:]]
    migrations().apply(utils)
    assert pending_migrations(conn) == [] == migrations().pending(utils)
    conn.close()


def test_plain_reads_give_what_sqlite_utils_gave(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "reads.db")
    try:
        utils = Database(conn.conn, execute_plugins=False)
        conn.execute(
            "INSERT INTO bodies (slug, name, created_at) "
            "VALUES ('xx', 'Xx', 'now'), ('yy', 'Yy', 'now')"
        )
        joined = "SELECT a.slug, b.slug, a.name FROM bodies a JOIN bodies b ORDER BY 1, 2"
        rows = list(conn.query(joined))
        assert rows == list(utils.query(joined))
        assert rows[0] == {"slug": "xx", "slug_2": "xx", "name": "Xx"}
        where = ("slug LIKE ?", ["_y%"])
        assert conn.count_where("bodies", *where) == utils.table("bodies").count_where(*where)
        with pytest.raises(ValueError, match="returns rows"):
            conn.query("UPDATE bodies SET name = 'Z' WHERE slug = 'none'")
    finally:
        conn.close()
