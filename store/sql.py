"""What the repositories ask of a connection, and the few table writes they share, in SQL that
both engines run unchanged.

The repositories (repository.py, alerts.py, guards.py, installations.py, communities.py,
exchange.py) are the one source of truth for queries: they hold a `Db` (SQLite's
store.connection.Connection or PostgreSQL's store.postgres.connection.PgConnection) and write
`?` placeholders (or `:name` with a dict) in SQL both dialects read: `IS NOT DISTINCT FROM`
rather than SQLite's `IS`, `ON CONFLICT` rather than `INSERT OR ...`, `RETURNING id` rather than
`lastrowid`, `TRUE` rather than `1`. The PostgreSQL connection only swaps the placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

Params = Sequence[Any] | Mapping[str, Any]


class Cursor(Protocol):
    """What the repositories read back from `Db.execute`: sqlite3's and psycopg's cursors."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """A connection inside the caller's transaction, on either engine."""

    engine: str
    """'sqlite' or 'postgres': only for the rare statement the dialects cannot share."""

    integrity_error: type[Exception]
    """The engine's constraint violation (a duplicate key, a broken reference)."""

    def execute(self, sql: str, params: Params | None = None) -> Cursor: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int: ...
    def query(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]: ...
    def count_where(self, table: str, where: str, params: Params) -> int: ...
    def columns(self, table: str) -> list[str]: ...
    def table_names(self) -> list[str]:
        """The schema's tables, by name (not the engine's own or the migrations' record)."""
        ...

    def ids_taken(self, table: str) -> None:
        """Rows were inserted with explicit ids: the next generated id comes after them
        (PostgreSQL's identity sequence does not see them by itself)."""
        ...

    def change_stamp(self) -> tuple[int, int]:
        """Moves whenever anything is committed (see Repository.change_stamp)."""
        ...


def insert(db: Db, table: str, row: Mapping[str, Any]) -> int:
    """Insert one row and return its generated `id`."""
    columns = list(row)
    found = db.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) RETURNING id",
        [row[c] for c in columns],
    ).fetchone()
    return int(found[0])


def insert_row(db: Db, table: str, row: Mapping[str, Any]) -> None:
    """Insert one row of a table keyed by something other than a generated id."""
    columns = list(row)
    db.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [row[c] for c in columns],
    )


def insert_many(
    db: Db, table: str, rows: Iterable[Mapping[str, Any]], batch_size: int = 1000
) -> int:
    """Insert rows in order, batch by batch (consecutive rows with the same fields share one
    statement); returns how many. Rows that carry their own `id` keep it."""
    count = 0
    explicit_ids = False
    batch: list[Sequence[Any]] = []
    columns: tuple[str, ...] = ()

    def flush() -> None:
        nonlocal batch
        if batch:
            marks = ", ".join("?" for _ in columns)
            db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
            batch = []

    for row in rows:
        keys = tuple(row)
        if keys != columns or len(batch) >= batch_size:
            flush()
            columns = keys
        explicit_ids = explicit_ids or "id" in keys
        batch.append([row[c] for c in columns])
        count += 1
    flush()
    if explicit_ids:
        db.ids_taken(table)
    return count


def update(db: Db, table: str, row_id: int, values: Mapping[str, Any]) -> None:
    """Set `values` on the row of that id."""
    if not values:
        return
    sets = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*values.values(), row_id])
