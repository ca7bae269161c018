"""Opening the one SQLite file (WAL, foreign keys, migrations) and the one way to hold a
transaction on it.

Several processes write the same file (`tallybot run`, `tallybot exec`, `tallybot dispatch`).
A transaction that starts deferred, reads, then writes cannot wait for the write lock: SQLite
refuses the upgrade at once with "database is locked" when another process wrote in between.
So the connection runs in autocommit mode (isolation_level=None: the sqlite3 module never
opens a transaction behind our back) and every unit of work opens its own explicitly: a writer
with BEGIN IMMEDIATE, which takes the write lock up front and waits up to BUSY_TIMEOUT for it;
a reader with a deferred BEGIN under `query_only`, which never blocks in WAL mode and cannot
write by mistake. sqlite-utils' own atomic() blocks nest inside as savepoints. Reads need no
sqlite-utils at all (store.connection), so `tallybot exec` does not import it to answer one.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from store.connection import Connection
from store.schema import MIGRATION_SET, MIGRATIONS_TABLE, STEPS, migrations

if TYPE_CHECKING:
    from sqlite_utils.db import Table

log = logging.getLogger(__name__)


BUSY_TIMEOUT = 10.0
"""Seconds a writer waits for another process's write to finish before giving up."""


def open_database(path: str | Path, busy_timeout: float = BUSY_TIMEOUT) -> Connection:
    """A connection usable from the store's worker thread (check_same_thread off)."""
    if str(path) != ":memory:" and not Path(path).parent.is_dir():
        # Only the file is created: a folder that does not exist is a mistyped path.
        raise FileNotFoundError(2, "No such folder", str(Path(path).parent))
    conn = sqlite3.connect(
        str(path), check_same_thread=False, timeout=busy_timeout, isolation_level=None
    )
    db = Connection(conn)
    # What sqlite-utils' Database(conn) and enable_wal() did, without importing it.
    db.execute("PRAGMA recursive_triggers = ON")
    if str(path) != ":memory:":
        _use_wal(db, busy_timeout)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    return db


def _use_wal(db: Connection, busy_timeout: float) -> None:
    """Switch a new file to WAL. The switch needs the file to itself, and SQLite refuses it at
    once ("database is locked") rather than waiting when processes open a new file together:
    retry until the busy timeout, as a writer would wait."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = wal")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def migrate(db: Connection) -> None:
    """Apply pending migrations once, however many processes open a new file at the same time:
    the check is repeated under the write lock (by sqlite-utils' Migrations, imported only
    then), so the first process creates the schema and the others find it done."""
    with transaction(db, write=False):
        pending = pending_migrations(db)
    if pending:
        steps = migrations()  # imports sqlite-utils now, not while holding the write lock
        # Foreign keys off while a migration rebuilds a table (SQLite's documented way: the
        # pragma cannot change inside a transaction), checked before the commit instead.
        db.execute("PRAGMA foreign_keys = OFF")
        try:
            with transaction(db, write=True):
                steps.apply(db.utils)
                broken = db.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"a migration broke foreign keys: {broken[:5]}")
        finally:
            db.execute("PRAGMA foreign_keys = ON")


def pending_migrations(db: Connection) -> list[str]:
    """The names sqlite-utils' `Migrations.pending` would give, read with one plain query on
    its table (a new file has no such table: everything is pending)."""
    if not db.count_where("sqlite_master", "type = 'table' AND name = ?", [MIGRATIONS_TABLE]):
        return [step.__name__ for step in STEPS]
    applied = {
        row[0]
        for row in db.execute(
            f"SELECT name FROM [{MIGRATIONS_TABLE}] WHERE migration_set = ?", [MIGRATION_SET]
        )
    }
    return [step.__name__ for step in STEPS if step.__name__ not in applied]


@contextlib.contextmanager
def transaction(db: Connection, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed if the block returns, rolled back if it raises."""
    conn = db.conn
    if not write:
        conn.execute("PRAGMA query_only = ON")
    try:
        if write:
            # sqlite-utils (numpy with it, when installed) loads before the lock is taken: an
            # import inside the transaction would hold every other writer up for its duration.
            _ = db.utils
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
