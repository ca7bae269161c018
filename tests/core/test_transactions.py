"""The store's transactions on a real SQLite file: writers take the write lock up front and
wait their turn; readers never wait and cannot write; a failure leaves nothing behind."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import Busy
from bot.storage import Transaction
from store.thread import SqliteStore

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.sqlite_only  # SQLite's write lock; PostgreSQL: test_postgres_store.py


def _add(tx: Transaction, user: str = "U1") -> bool:
    return tx.records.add_moderator("slack", "T1", user, "test", NOW)


def _moderators(tx: Transaction) -> list[str]:
    return [m["user_id"] for m in tx.records.moderators("slack", "T1")]


@pytest.fixture
def other_writer(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection to the same file (autocommit: we hold the lock by hand)."""
    SqliteStore(db_path, NOW).close()  # the schema exists
    with contextlib.closing(
        sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    ) as conn:
        yield conn


def test_a_writer_waits_for_another_process_then_writes(
    db_path: Path, other_writer: sqlite3.Connection
) -> None:
    store = SqliteStore(db_path, NOW, busy_timeout=10.0)
    other_writer.execute("BEGIN IMMEDIATE")
    other_writer.execute(
        "INSERT INTO bodies (slug, name, created_at) VALUES ('x', 'X', '2026-01-01')"
    )
    threading.Timer(0.3, other_writer.execute, ["COMMIT"]).start()
    try:
        assert store.run_blocking(_add) is True  # queued behind the other writer, not refused
        assert store.run_blocking(lambda tx: "x" in tx.records.body_slugs(), write=False)
    finally:
        store.close()


def test_readers_never_wait_and_a_writer_held_too_long_gets_a_sentence(
    db_path: Path, other_writer: sqlite3.Connection
) -> None:
    store = SqliteStore(db_path, NOW, busy_timeout=0.2)
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        assert store.run_blocking(_moderators, write=False) == []
        with pytest.raises(Busy, match=r"writing to the record for over 0.2 s; nothing was saved"):
            store.run_blocking(_add)
        other_writer.execute("COMMIT")
        assert store.run_blocking(_add) is True
    finally:
        store.close()


def test_read_only_work_cannot_write(db_path: Path) -> None:
    store = SqliteStore(db_path, NOW)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.run_blocking(_add, write=False)
        assert store.run_blocking(_moderators, write=False) == []
        assert store.run_blocking(_add) is True  # the connection writes again afterwards
    finally:
        store.close()


def test_work_that_fails_leaves_nothing_behind(db_path: Path) -> None:
    store = SqliteStore(db_path, NOW)

    def add_then_fail(tx: Transaction) -> None:
        _add(tx, "U2")
        raise RuntimeError("late failure")

    try:
        with pytest.raises(RuntimeError):
            store.run_blocking(add_then_fail)
        assert store.run_blocking(_moderators, write=False) == []
    finally:
        store.close()
