"""Opening the one SQLite file: WAL, foreign keys, migrations, shipped bodies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from store.schema import migrations


def open_database(path: str | Path) -> Database:
    """A connection usable from the store's worker thread (check_same_thread off)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
    db = Database(conn)
    if str(path) != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 10000")
    db.execute("PRAGMA synchronous = NORMAL")
    migrations.apply(db)
    return db
