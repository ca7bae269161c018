"""bot.storage.Store on PostgreSQL.

Units of work (the same sync callables of a Transaction the SQLite store runs) go to a small
thread pool, each on a connection from psycopg_pool's ConnectionPool, so several run at once
and the event loop stays free. A writer runs SERIALIZABLE: whatever other writers, in this
process or another, commit meanwhile, the result is as if the units had run one after another,
and PostgreSQL refuses (SerializationFailure, DeadlockDetected) rather than let one see half of
another; the whole unit is then run again, alone: writers hold a shared lock, a rerun holds it
exclusively, so it waits for the writers in progress and cannot be refused a second time. A
reader runs in a read-only REPEATABLE READ transaction: one consistent snapshot, no waiting,
no retry, and any write it attempts is refused. A declaration and its outbox rows are one unit,
so they commit together or not at all. The alert queue's own units (claims, lease renewals,
marking a row sent: `run(..., queue=True)`) run READ COMMITTED instead: they lock the rows they
take (FOR UPDATE SKIP LOCKED) and update only where their condition still holds, so several
delivering processes working a fan-out never refuse each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.errors import Busy
from bot.members import SHIPPED_BODIES, Body
from bot.storage import Transaction
from store.alerts import AlertRepository
from store.postgres.connection import PgConnection
from store.postgres.listener import ChangeListener, channel_name
from store.postgres.migrate import migrate
from store.repository import Repository
from store.transaction import StoreTransaction

T = TypeVar("T")
log = logging.getLogger(__name__)

WORKERS = 4
"""Units of work running at once in one process (and pooled connections)."""
BUSY_TIMEOUT = 10.0
"""Seconds a unit of work waits for a pooled connection before giving up."""
ATTEMPTS = 12
"""Runs of a write that keeps meeting concurrent writers before it is refused."""

_RETRY = (errors.SerializationFailure, errors.DeadlockDetected)


class SchemaMissing(RuntimeError):
    """The URL's search_path names no schema that exists: nothing to create the tables in."""


def _connection_lost(exc: psycopg.Error) -> bool:
    """A failure of the connection itself (not of a statement): the server went away, the
    network dropped, the server is shutting down."""
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


class PostgresStore:
    """bot.storage.Store on one PostgreSQL database (the schema the URL's search_path names)."""

    def __init__(
        self,
        url: str,
        now: datetime,
        *,
        workers: int = WORKERS,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            schema = conn.execute("SELECT current_schema()").fetchone()
            if schema is None or schema[0] is None:
                raise SchemaMissing(
                    "no schema its search_path names exists; create it with CREATE SCHEMA"
                )
            self.schema = str(schema[0])
            migrate(conn)
        self.channel = channel_name(self.schema)
        self._retry_key = f"tallybot writers {self.schema}"
        self._listener = ChangeListener(url, self.channel)
        # Caches only hold answers once commits can be heard; not connected, they hold none.
        if not self._listener.wait_connected(busy_timeout):
            log.warning("database change listener not connected yet: caches stay off until it is")
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=workers,
            kwargs={"autocommit": True},
            timeout=busy_timeout,
            check=ConnectionPool.check_connection,
            name="tallybot",
            open=True,
        )
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tallybot-pg")
        self._bodies: dict[str, Body] = {}
        self._bodies_version = self.version()
        missing = self.run_blocking(
            lambda tx: set(SHIPPED_BODIES) - set(tx.records.body_slugs()), write=False
        )
        if missing:
            self.run_blocking(lambda tx: _ensure_shipped_bodies(tx, now))

    async def run(
        self, work: Callable[[Transaction], T], *, write: bool = True, queue: bool = False
    ) -> T:
        """Run `work` on a pooled connection inside one transaction (rolled back if it raises);
        `write=False` for work that only reads (PostgreSQL refuses any write it attempts);
        `queue=True` for the alert queue's claims and marks, run READ COMMITTED: they take row
        locks (FOR UPDATE SKIP LOCKED) and update only where their condition still holds, so
        several delivering processes never refuse each other as SERIALIZABLE would."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, work, write, queue)

    def run_blocking(self, work: Callable[[Transaction], T], *, write: bool = True) -> T:
        """The same, from code that has no event loop (CLI set-up, benchmarks' loaders)."""
        return self._executor.submit(self._in_transaction, work, write).result()

    def _in_transaction(
        self, work: Callable[[Transaction], T], write: bool, queue: bool = False
    ) -> T:
        attempt = 1
        while True:
            try:
                with self._pool.connection() as conn:
                    if not write or queue:
                        return self._once(conn, work, write, queue)
                    with self._writers_turn(conn, alone=attempt > 1):
                        return self._once(conn, work, write, queue)
            except _RETRY as exc:
                if attempt >= ATTEMPTS:
                    raise Busy(
                        "Other writers kept changing the same records; nothing was saved. "
                        "Try again in a moment."
                    ) from exc
                log.debug("write conflict (attempt %d): %s", attempt, type(exc).__name__)
                time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))
                attempt += 1
            except PoolTimeout as exc:
                raise Busy(
                    f"The database did not answer within {self.busy_timeout:g} s; nothing was "
                    "saved. Try again in a moment."
                ) from exc
            except psycopg.OperationalError as exc:
                if not _connection_lost(exc):
                    raise
                raise Busy(
                    "The connection to the database was lost; what was asked may not have been "
                    "saved. Try again in a moment."
                ) from exc

    @contextlib.contextmanager
    def _writers_turn(self, conn: psycopg.Connection[Any], *, alone: bool) -> Iterator[None]:
        """Writers run side by side under a shared session lock; a writer that was refused
        once for a concurrent writer runs again holding it exclusively, so it waits for the
        writers in progress, runs alone and cannot be refused again (the lock is taken before
        BEGIN, so its snapshot comes after their commits). Colliding writers queue, as
        SQLite's do, instead of failing again until they give up."""
        take, give = (
            ("pg_advisory_lock", "pg_advisory_unlock")
            if alone
            else ("pg_advisory_lock_shared", "pg_advisory_unlock_shared")
        )
        conn.execute(f"SELECT {take}(hashtextextended(%s, 0))", [self._retry_key])
        try:
            yield
        finally:
            if not conn.closed:  # a lost connection's lock is the server's to drop
                with contextlib.suppress(psycopg.Error):
                    conn.execute(f"SELECT {give}(hashtextextended(%s, 0))", [self._retry_key])

    def _once(
        self,
        conn: psycopg.Connection[Any],
        work: Callable[[Transaction], T],
        write: bool,
        queue: bool = False,
    ) -> T:
        db = PgConnection(conn, self.version)
        tx = StoreTransaction(Repository(db, None, self._current_bodies()), AlertRepository(db))
        if write and queue:
            conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        elif write:
            conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        else:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            result = work(tx)
            if conn.info.transaction_status == TransactionStatus.INERROR:
                # A statement failed and the work went on: COMMIT would silently roll back.
                raise RuntimeError("a statement failed inside the unit of work; nothing saved")
            if write:
                conn.execute("SELECT pg_notify(%s, %s)", [self.channel, self._listener.token])
            conn.execute("COMMIT")
        except BaseException:
            if write:
                self._bodies = {}  # it may hold what this transaction read and did not keep
            if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
            raise
        if write:
            self._listener.bump()
        return result

    def _current_bodies(self) -> dict[str, Body]:
        """The body cache, started afresh whenever anything was committed since it was made
        (a new dict, so a reader still on an older snapshot fills the old one, not this)."""
        version = self.version()
        if version != self._bodies_version:
            self._bodies = {}
            self._bodies_version = version
        return self._bodies

    def version(self) -> int:
        """Moves with every commit, this process's or another's (LISTEN/NOTIFY, see
        store.postgres.listener): a Python attribute read, no round-trip."""
        return self._listener()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._pool.close()
        self._listener.close()


def _ensure_shipped_bodies(tx: Transaction, now: datetime) -> None:
    records = tx.records
    assert isinstance(records, Repository)
    records.ensure_shipped_bodies(now)
