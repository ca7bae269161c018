"""Opening the one SQLite file (WAL, foreign keys, migrations) and the one way to hold a
transaction on it.

Several processes write the same file (`tallybot run`, `tallybot exec`, `tallybot dispatch`).
A transaction that starts deferred, reads, then writes cannot wait for the write lock: SQLite
refuses the upgrade at once with "database is locked" when another process wrote in between.
So the connection runs in autocommit mode (isolation_level=None: the sqlite3 module never
opens a transaction behind our back) and every unit of work opens its own explicitly: a writer
with BEGIN IMMEDIATE, which takes the write lock up front and waits up to BUSY_TIMEOUT for it;
a reader with a deferred BEGIN under `query_only`, which never blocks in WAL mode and cannot
write by mistake. sqlite-utils' own atomic() blocks nest inside as savepoints.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.db import Table

from store.schema import migrations

log = logging.getLogger(__name__)


BUSY_TIMEOUT = 10.0
"""Seconds a writer waits for another process's write to finish before giving up."""


def open_database(path: str | Path, busy_timeout: float = BUSY_TIMEOUT) -> Database:
    """A connection usable from the store's worker thread (check_same_thread off)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), check_same_thread=False, timeout=busy_timeout, isolation_level=None
    )
    # No sqlite-utils plugins prepare our connection: none is a dependency, and looking for
    # them reads every installed package's metadata at each start (`tallybot exec` stays quick).
    db = Database(conn, execute_plugins=False)
    if str(path) != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    return db


def migrate(db: Database) -> None:
    """Apply pending migrations once, however many processes open a new file at the same time:
    the check is repeated under the write lock, so the first process creates the schema and
    the others find it done."""
    with transaction(db, write=False):
        pending = migrations.pending(db)
    if pending:
        # Foreign keys off while a migration rebuilds a table (SQLite's documented way: the
        # pragma cannot change inside a transaction), checked before the commit instead.
        db.execute("PRAGMA foreign_keys = OFF")
        try:
            with transaction(db, write=True):
                migrations.apply(db)
                broken = db.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"a migration broke foreign keys: {broken[:5]}")
        finally:
            db.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def transaction(db: Database, *, write: bool) -> Iterator[Database]:
    """One transaction: committed if the block returns, rolled back if it raises."""
    conn = db.conn
    if not write:
        conn.execute("PRAGMA query_only = ON")
    try:
        if write:
            asked = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            log.debug("write lock taken after %.1f ms", (time.perf_counter() - asked) * 1000)
        else:
            conn.execute("BEGIN")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        if not write:
            conn.execute("PRAGMA query_only = OFF")


def new_id(table: Table) -> int:
    """The integer key of the row `table.insert(...)` just wrote.

    sqlite-utils types `last_pk` as `Any | None` (a key may be text or compound); every table
    we insert into this way has an INTEGER PRIMARY KEY, so anything else is a bug, not input."""
    key = table.last_pk
    if not isinstance(key, int):
        raise TypeError(f"insert into {table.name} gave no integer key: {key!r}")
    return key
