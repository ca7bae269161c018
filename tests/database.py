"""Reading the test's database from outside the bot, on either engine: what a test checks
after real processes wrote it (a file path opens with sqlite3 read-only, a URL with psycopg)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from bot.settings import is_database_url


def read(
    where: str | Path, sql: str, params: tuple[Any, ...] | list[Any] = ()
) -> list[tuple[Any, ...]]:
    """Rows of one query (`?` placeholders, SQL both engines read)."""
    if is_database_url(where):
        import psycopg

        from store.postgres.connection import translate

        with psycopg.connect(str(where), autocommit=True) as conn:
            return [tuple(row) for row in conn.execute(translate(sql), list(params)).fetchall()]
    with contextlib.closing(sqlite3.connect(f"file:{where}?mode=ro", uri=True, timeout=30)) as db:
        return [tuple(row) for row in db.execute(sql, params).fetchall()]


def records(where: str | Path, sql: str) -> list[dict[str, Any]]:
    """Rows of one query as dicts (column name to value)."""
    if is_database_url(where):
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(str(where), autocommit=True, row_factory=dict_row) as conn:
            return list(conn.execute(sql.encode()).fetchall())
    with contextlib.closing(sqlite3.connect(f"file:{where}?mode=ro", uri=True, timeout=30)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql)]


def table_names(where: str | Path) -> list[str]:
    if is_database_url(where):
        sql = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
    return [str(row[0]) for row in read(where, sql)]


def row_counts(where: str | Path) -> dict[str, int]:
    """Rows in every table: equal before and after means nothing was written."""
    return {t: int(read(where, f'SELECT count(*) FROM "{t}"')[0][0]) for t in table_names(where)}


def applied_migrations(where: str | Path) -> list[str]:
    """The migration steps the database records as applied, oldest first."""
    if is_database_url(where):
        return [str(r[0]) for r in read(where, "SELECT name FROM tallybot_migrations")]
    return [str(r[0]) for r in read(where, "SELECT name FROM _sqlite_migrations ORDER BY rowid")]
