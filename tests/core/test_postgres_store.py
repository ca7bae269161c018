"""What only the PostgreSQL store does: migrating once under concurrent starts, surviving
connections the server drops, and the NOTIFY listener behind version(). The shared behaviour is
in test_storage_contract.py; these run only where TALLYBOT_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from bot.errors import Busy
from bot.storage import Transaction
from store.postgres.store import PostgresStore
from store.schema import STEPS
from tests.postgres import fresh_schema, require_server

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_schema(require_server()) as where:
        yield where


def _admin(url: str, sql: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return list(conn.execute(sql.encode()).fetchall())


async def _store_backends(store: PostgresStore) -> set[int]:
    """The server processes of the store's pooled connection and of its listener."""
    pooled = await store.run(
        lambda tx: int(tx.records.db.execute("SELECT pg_backend_pid()").fetchone()[0]),
        write=False,
    )
    listener = store._listener._conn
    assert listener is not None
    return {pooled, listener.info.backend_pid}


def _terminate(url: str, pids: set[int]) -> int:
    """Drop those connections from the server side, as a server restart or a network cut
    would (only this test's own: the database is shared with other test runs)."""
    marks = ", ".join(str(int(pid)) for pid in pids)
    rows = _admin(
        url,
        f"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM "
        f"pg_stat_activity WHERE pid IN ({marks})",
    )
    return int(str(rows[0][0]))


def test_two_processes_starting_together_migrate_once(url: str) -> None:
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(url, NOW))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    applied = _admin(url, "SELECT name FROM tallybot_migrations ORDER BY name")
    assert [row[0] for row in applied] == [step.__name__ for step in STEPS]
    bodies = _admin(url, "SELECT slug FROM bodies ORDER BY slug")
    assert [row[0] for row in bodies] == ["eu", "nato", "unsc"]


async def test_connections_the_server_drops_are_replaced(url: str) -> None:
    store = PostgresStore(url, NOW)
    try:
        await store.run(lambda tx: tx.records.add_moderator("slack", "T1", "U1", "t", NOW))
        assert store._listener.wait_connected(5)
        assert _terminate(url, await _store_backends(store)) == 2
        # The pool checks a connection before lending it: the next unit of work gets a new one.
        moderators = await store.run(lambda tx: tx.records.moderators("slack", "T1"), write=False)
        assert [m["user_id"] for m in moderators] == ["U1"]
        # The listener reconnects by itself; meanwhile version() never repeats a number.
        seen = {store.version() for _ in range(3)}
        assert len(seen) == 3 or store._listener.connected
        assert store._listener.wait_connected(10)
        before = store.version()
        await store.run(lambda tx: tx.records.add_moderator("slack", "T1", "U2", "t", NOW))
        assert store.version() != before
    finally:
        store.close()


async def test_a_connection_lost_inside_a_unit_of_work_is_a_clear_refusal(url: str) -> None:
    store = PostgresStore(url, NOW)

    def add_then_lose_the_connection(tx: Transaction) -> None:
        tx.records.add_moderator("slack", "T1", "U1", "t", NOW)
        db = tx.records.db  # type: ignore[attr-defined]
        db.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    try:
        with pytest.raises(Busy, match="connection to the database was lost"):
            await store.run(add_then_lose_the_connection)
        moderators = await store.run(lambda tx: tx.records.moderators("slack", "T1"), write=False)
        assert moderators == []  # nothing of the lost unit was kept
    finally:
        store.close()


async def test_another_store_s_commit_moves_version_through_notify(url: str) -> None:
    first, second = PostgresStore(url, NOW), PostgresStore(url, NOW)
    try:
        assert first._listener.wait_connected(5)
        before = first.version()
        assert first.version() == before  # connected: stable while nothing is committed
        await second.run(lambda tx: tx.records.add_moderator("slack", "T1", "U9", "t", NOW))
        for _ in range(200):
            if first.version() != before:
                break
            await asyncio.sleep(0.01)
        assert first.version() != before
    finally:
        first.close()
        second.close()


def test_an_unreachable_server_is_named_in_one_sentence() -> None:
    from bot.errors import DatabaseUnreachable
    from bot.settings import Settings
    from tallybot.wiring import open_core

    with pytest.raises(DatabaseUnreachable) as caught:
        open_core(Settings(db_path="postgresql://someone:secret@127.0.0.1:1/nothing"))
    message = str(caught.value)
    assert "127.0.0.1" in message and "nothing" in message
    assert "secret" not in message


async def _skew(store: PostgresStore, queue: bool) -> dict[int, int]:
    """Two units at once, each reading the other's row and writing its own (write skew);
    how many times the store ran each."""
    barrier = threading.Barrier(2, timeout=5)
    runs = {1: 0, 2: 0}

    def unit(mine: int, other: int) -> Callable[[Transaction], None]:
        def work(tx: Transaction) -> None:
            runs[mine] += 1
            db = tx.records.db  # type: ignore[attr-defined]
            seen = db.execute("SELECT n FROM skew WHERE id = ?", [other]).fetchone()[0]
            if runs[mine] == 1:
                barrier.wait()  # both have read before either writes
            db.execute("UPDATE skew SET n = ? WHERE id = ?", [seen + 1, mine])

        return work

    await asyncio.gather(store.run(unit(1, 2), queue=queue), store.run(unit(2, 1), queue=queue))
    return runs


async def test_queue_work_runs_read_committed_where_serializable_would_retry(url: str) -> None:
    """SERIALIZABLE refuses one of two units in write skew and the store runs it again (under
    the retry lock, released after); with
    `queue=True` (the alert queue's claims and marks, safe by row locks) both commit on their
    first run."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE skew (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        conn.execute("INSERT INTO skew VALUES (1, 0), (2, 0)")
    store = PostgresStore(url, NOW)
    try:
        assert sum((await _skew(store, queue=False)).values()) > 2  # one refused, run again
        # The rerun queued behind the writers' retry lock, and gave it back.
        with psycopg.connect(url, autocommit=True) as conn:
            free = conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                [f"tallybot writers {store.schema}"],
            ).fetchone()
        assert free == (True,)
        assert await _skew(store, queue=True) == {1: 1, 2: 1}
    finally:
        store.close()
