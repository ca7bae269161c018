"""The storage contract (bot/storage.py), tested through the protocols only.

Every implementation of `Store` must pass these: add it to IMPLEMENTATIONS (PostgreSQL is
here, skipped with its reason where TALLYBOT_TEST_POSTGRES_URL is unset) and the same tests run
against it, as
Red-DiscordBot runs one suite over each of its Config drivers. The SQLite-only behaviour
(waiting for another process's writer, `Busy`) is in test_transactions.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from bot.alerts.channels import ChannelRef
from bot.alerts.model import Mode
from bot.storage import Store, Transaction
from store.alerts import AlertRepository
from store.database import open_database
from store.engine import open_store
from store.repository import Repository
from store.thread import SqliteStore, SqliteTransaction
from tests.postgres import fresh_schema, require_server

T = TypeVar("T")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHANNEL = ChannelRef("slack", "T1", "C1")
Run = Callable[..., Awaitable[T]]


@dataclass(frozen=True)
class Implementation:
    place: Callable[[Path], AbstractContextManager[str]]
    """Where a fresh, empty store lives: a file in the test's directory, or a URL on a schema
    of its own (created and dropped around the test)."""
    read_only_error: Callable[[], type[Exception]]
    """What the database raises when read-only work writes: the contract says only that the
    write is refused, with nothing written."""


def _sqlite_file(tmp_path: Path) -> AbstractContextManager[str]:
    return nullcontext(str(tmp_path / "contract.db"))


def _postgres_schema(tmp_path: Path) -> AbstractContextManager[str]:
    return fresh_schema(require_server())


def _read_only_postgres() -> type[Exception]:
    from psycopg.errors import ReadOnlySqlTransaction

    return ReadOnlySqlTransaction


IMPLEMENTATIONS: dict[str, Implementation] = {
    "sqlite": Implementation(_sqlite_file, lambda: sqlite3.OperationalError),
    "postgres": Implementation(_postgres_schema, _read_only_postgres),
}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each engine's fresh database; PostgreSQL is skipped, with the reason shown, where
    TALLYBOT_TEST_POSTGRES_URL is not set."""
    with IMPLEMENTATIONS[request.param].place(tmp_path) as where:
        yield where


@pytest.fixture
def store(place: str) -> Iterator[Store]:
    """The store (shipped bodies loaded) on `place`."""
    opened = open_store(place, NOW)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def read_only_error(request: pytest.FixtureRequest, store: Store) -> type[Exception]:
    return IMPLEMENTATIONS[request.node.callspec.params["place"]].read_only_error()


@pytest.fixture(params=["run", "run_blocking"])
def run(request: pytest.FixtureRequest, store: Store) -> Run[object]:
    """Both ways in: `await store.run(...)` and `store.run_blocking(...)` keep one contract."""

    async def via_blocking(work: Callable[[Transaction], T], *, write: bool = True) -> T:
        return store.run_blocking(work, write=write)

    return store.run if request.param == "run" else via_blocking


class Boom(Exception):
    pass


def _write_both(tx: Transaction) -> None:
    """One moderator (records) and one subscription (alerts)."""
    assert tx.records.add_moderator("slack", "T1", "U1", "contract", NOW)
    tx.alerts.subscribe(CHANNEL, None, Mode.EVERY, None, "UTC", "contract", NOW)


def _read_both(tx: Transaction) -> tuple[list[str], list[Mode]]:
    moderators = [m["user_id"] for m in tx.records.moderators("slack", "T1")]
    return moderators, [s.mode for s in tx.alerts.channel_subscriptions(CHANNEL)]


async def test_a_write_is_visible_to_the_next_read(run: Run[object]) -> None:
    assert await run(_read_both, write=False) == ([], [])
    await run(_write_both)
    assert await run(_read_both, write=False) == (["U1"], [Mode.EVERY])


async def test_the_work_returns_its_result(run: Run[object]) -> None:
    assert await run(lambda tx: sorted(tx.records.body_slugs()), write=False) == [
        "eu",
        "nato",
        "unsc",
    ]


async def test_an_exception_rolls_back_everything_the_work_did(run: Run[object]) -> None:
    def write_then_fail(tx: Transaction) -> None:
        _write_both(tx)
        assert _read_both(tx) == (["U1"], [Mode.EVERY])  # written, inside the transaction
        raise Boom("late failure")

    with pytest.raises(Boom, match="late failure"):
        await run(write_then_fail)
    assert await run(_read_both, write=False) == ([], [])
    await run(_write_both)  # and the store writes again afterwards
    assert await run(_read_both, write=False) == (["U1"], [Mode.EVERY])


async def test_read_only_work_cannot_write(
    run: Run[object], read_only_error: type[Exception]
) -> None:
    def add_moderator(tx: Transaction) -> bool:
        return tx.records.add_moderator("slack", "T1", "U1", "contract", NOW)

    def subscribe(tx: Transaction) -> object:
        return tx.alerts.subscribe(CHANNEL, None, Mode.EVERY, None, "UTC", "contract", NOW)

    with pytest.raises(read_only_error):
        await run(add_moderator, write=False)
    with pytest.raises(read_only_error):
        await run(subscribe, write=False)
    assert await run(_read_both, write=False) == ([], [])
    await run(_write_both)
    assert await run(_read_both, write=False) == (["U1"], [Mode.EVERY])


def test_the_sqlite_classes_satisfy_the_protocols(tmp_path: Path) -> None:
    """Structural, no isinstance: the type checker verifies these typed assignments."""
    sqlite_store: Store = SqliteStore(tmp_path / "typed.db", NOW)
    sqlite_store.close()
    db = open_database(tmp_path / "typed.db")
    try:
        tx: Transaction = SqliteTransaction(Repository(db), AlertRepository(db))
        assert tx.records.tracker_slugs() == []
        assert tx.alerts.digest_subscriptions() == []
        assert tx.installations.installations() == []
    finally:
        db.close()


async def test_version_moves_with_every_commit_from_any_store(store: Store, place: str) -> None:
    """What the read cache and the alert wake-up rely on: a commit here moves version() at
    once; a commit by another store on the same database (another process) moves it too."""
    before = store.version()
    await store.run(_write_both)
    after_own = store.version()
    assert after_own != before
    other = open_store(place, NOW)
    try:
        await other.run(lambda tx: tx.records.add_moderator("slack", "T1", "U2", "other", NOW))
    finally:
        other.close()
    for _ in range(200):  # PostgreSQL's notification arrives a moment after the commit
        if store.version() != after_own:
            break
        await asyncio.sleep(0.01)
    assert store.version() != after_own
    moderators = await store.run(lambda tx: tx.records.moderators("slack", "T1"), write=False)
    assert [m["user_id"] for m in moderators] == ["U1", "U2"]


async def test_concurrent_writers_all_commit(store: Store) -> None:
    """Many units of work at once, each reading then writing the same table: every one is
    recorded once (SQLite queues them; PostgreSQL runs them at once and retries a unit that
    lost a serialization race)."""

    def subscribe(n: int) -> Callable[[Transaction], int]:
        def work(tx: Transaction) -> int:
            seen = len(tx.alerts.channel_subscriptions(CHANNEL))
            channel = ChannelRef("slack", "T1", f"C{n}")
            tx.alerts.subscribe(channel, None, Mode.EVERY, None, "UTC", "contract", NOW)
            tx.records.add_moderator("slack", "T1", f"U{n}", "contract", NOW)
            return seen

        return work

    await asyncio.gather(*(store.run(subscribe(n)) for n in range(24)))

    def count(tx: Transaction) -> tuple[int, int]:
        subscriptions = sum(
            len(tx.alerts.channel_subscriptions(ChannelRef("slack", "T1", f"C{n}")))
            for n in range(24)
        )
        return subscriptions, len(tx.records.moderators("slack", "T1"))

    assert await store.run(count, write=False) == (24, 24)
