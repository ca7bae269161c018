"""A psycopg connection with the interface the repositories use (store.sql.Db).

The shared SQL uses sqlite3's placeholders, `?` and `:name`; psycopg wants `%s` and
`%(name)s`, and a literal `%` doubled. The translation skips quoted strings and is cached per
statement text, so it costs one dictionary look-up after the first call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import psycopg

from store.connection import dedupe_keys
from store.sql import Params

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|::|\?|:(\w+)|%")


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """`?` to `%s`, `:name` to `%(name)s`, `%` to `%%`; quoted text and `::` casts kept."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if match.group(1) is not None:
            return f"%({match.group(1)})s"
        if token.startswith("'"):
            return token.replace("%", "%%")
        return token

    return _TOKENS.sub(swap, sql)


def _value(value: Any) -> Any:
    """Flags are stored as 0/1 on both engines (PostgreSQL would refuse a bool for a BIGINT)."""
    return int(value) if isinstance(value, bool) else value


def _params(params: Params | None) -> Sequence[Any] | Mapping[str, Any]:
    if params is None:
        return ()
    if isinstance(params, Mapping):
        return {key: _value(value) for key, value in params.items()}
    return [_value(value) for value in params]


class PgConnection:
    """One pooled connection, inside the transaction the store opened on it."""

    engine = "postgres"
    integrity_error: type[Exception] = psycopg.IntegrityError

    def __init__(self, conn: psycopg.Connection[Any], stamp: Callable[[], int]) -> None:
        self.conn = conn
        self._stamp = stamp

    def execute(self, sql: str, params: Params | None = None) -> psycopg.Cursor[Any]:
        return self.conn.execute(translate(sql), _params(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        with self.conn.cursor() as cursor:
            cursor.executemany(translate(sql), [_params(row) for row in rows])
            return cursor.rowcount

    def query(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        if cursor.description is None:
            raise ValueError("query() can only be used with SQL that returns rows")
        keys = dedupe_keys(d.name for d in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor.fetchall())

    def count_where(self, table: str, where: str, params: Params) -> int:
        row = self.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()
        return int(row[0]) if row else 0

    def columns(self, table: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [str(row[0]) for row in rows]

    def table_names(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
            "AND table_name != 'tallybot_migrations' ORDER BY table_name"
        )
        return [str(row[0]) for row in rows]

    def ids_taken(self, table: str) -> None:
        """Move the identity sequence past ids written explicitly (an import's renumbering)."""
        self.conn.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))",
            [table],
        )

    def change_stamp(self) -> tuple[int, int]:
        """The store's commit counter (NOTIFY from every process, and this one's commits)."""
        return self._stamp(), 0
