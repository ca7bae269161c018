"""The store on an asyncio loop: one worker thread owns the connection.

sqlite-utils is synchronous; running every unit of work on one thread keeps the event loop
free (Discord, Slack and the scheduler share it) and serialises this process's writers without
locks. Other processes on the same file are serialised by SQLite: a unit of work that writes
takes the write lock up front (see store.database.transaction) and waits its turn.
Each unit of work is handed a SqliteTransaction: bot.storage.Transaction on that connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.errors import Busy
from bot.members import SHIPPED_BODIES
from bot.storage import Transaction
from store.alerts import AlertRepository
from store.data_version import DataVersion
from store.database import BUSY_TIMEOUT, open_database, transaction
from store.repository import Repository
from store.transaction import StoreTransaction, as_store

T = TypeVar("T")


SqliteTransaction = StoreTransaction
"""The name from before PostgreSQL: the same repositories serve both engines."""
as_sqlite = as_store


class SqliteStore:
    """bot.storage.Store on one SQLite file."""

    def __init__(self, path: str | Path, now: datetime, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tallybot-db")
        self._tx = self._executor.submit(self._open, now).result()
        self._version = DataVersion(path)

    def _open(self, now: datetime) -> SqliteTransaction:
        db = open_database(self.path, self.busy_timeout)
        repo = Repository(db)
        with transaction(db, write=False):
            missing = set(SHIPPED_BODIES) - set(repo.body_slugs())
        if missing:
            with transaction(db, write=True):
                repo.ensure_shipped_bodies(now)
        self._db = db
        return SqliteTransaction(repo, AlertRepository(db))

    async def run(
        self, work: Callable[[Transaction], T], *, write: bool = True, queue: bool = False
    ) -> T:
        """Run `work` on the store thread inside one transaction (rolled back if it raises).

        `write=False` for work that only reads: it never waits for another process's writer
        (and SQLite refuses any write it attempts). `queue` changes nothing here: every
        writer already has the file to itself (BEGIN IMMEDIATE)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, work, write)

    def run_blocking(self, work: Callable[[Transaction], T], *, write: bool = True) -> T:
        """The same, from code that has no event loop (CLI set-up, benchmarks' loaders)."""
        return self._executor.submit(self._in_transaction, work, write).result()

    def _in_transaction(self, work: Callable[[Transaction], T], write: bool) -> T:
        try:
            with transaction(self._db, write=write):
                return work(self._tx)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            raise Busy(
                f"Another process has been writing to the record for over "
                f"{self.busy_timeout:g} s; nothing was saved. Try again in a moment."
            ) from exc

    def version(self) -> int:
        """Moves with every commit to the file, this process's or another's (`PRAGMA
        data_version` on a connection of its own, asked from the event loop: microseconds)."""
        return self._version()

    def close(self) -> None:
        self._version.close()
        self._executor.submit(self._db.close).result()
        self._executor.shutdown(wait=True)
