"""Which engine a TALLYBOT_DB names, and opening the store on it: the launcher's one call."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: str | Path) -> bool:
    """A `postgresql://` URL (or `postgres://`); anything else is an SQLite file path."""
    return str(target).startswith(POSTGRES_SCHEMES)


def open_store(target: str | Path, now: datetime) -> Store:
    """SqliteStore on a file path, PostgresStore on a URL (psycopg imported only then)."""
    if is_postgres(target):
        from store.postgres.store import PostgresStore

        return PostgresStore(str(target), now)
    from store.thread import SqliteStore

    return SqliteStore(target, now)
