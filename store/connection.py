"""The store's connection: plain reads on the standard library, sqlite-utils for table writes.

Importing sqlite-utils costs more than the rest of a `tallybot exec` start-up (it loads numpy
when numpy is installed, and matplotlib brings numpy). A command that only reads needs none
of it, so `query`, `execute` and `count_where` run on sqlite3 itself, and the sqlite-utils
`Database` wrapper (`utils`, `table`) is made on the first write that wants its table helpers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.db import Table

Params = Sequence[Any] | Mapping[str, Any]


class Connection:
    """One sqlite3 connection in autocommit mode (see store.database), with sqlite-utils' read
    methods done the same way and its `Database` wrapper made on demand (migrations, tests).
    It is the SQLite side of store.sql.Db, what the repositories hold."""

    engine = "sqlite"
    integrity_error: type[Exception] = sqlite3.IntegrityError

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._utils: Database | None = None

    @property
    def utils(self) -> Database:
        """sqlite-utils on this connection (its table helpers: insert, upsert, update)."""
        if self._utils is None:
            from sqlite_utils import Database

            # No sqlite-utils plugins prepare our connection: none is a dependency, and looking
            # for them reads every installed package's metadata.
            self._utils = Database(self.conn, execute_plugins=False)
        return self._utils

    def table(self, name: str) -> Table:
        return self.utils.table(name)

    def __getitem__(self, name: str) -> Table:
        """`db["name"]`, as on sqlite-utils' Database."""
        return self.table(name)

    def execute(self, sql: str, params: Params | None = None) -> sqlite3.Cursor:
        """`Database.execute`: the autocommit connection opens no transaction of its own."""
        if params is None:
            return self.conn.execute(sql)
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One statement over many rows; how many rows it changed."""
        return self.conn.executemany(sql, rows).rowcount

    def columns(self, table: str) -> list[str]:
        """The table's columns, in order."""
        return [row[1] for row in self.conn.execute(f"PRAGMA table_info([{table}])")]

    def table_names(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != '_sqlite_migrations' ORDER BY name"
        )
        return [str(row[0]) for row in rows]

    def ids_taken(self, table: str) -> None:
        """Nothing to do: SQLite's next rowid is always after the largest."""

    def change_stamp(self) -> tuple[int, int]:
        """Other connections' commits move `data_version`, this connection's own writes move
        `total_changes`."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return int(version), self.conn.total_changes

    def query(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """`Database.query`: run now, rows as dicts fetched lazily, duplicate names renamed."""
        cursor = self.execute(sql, params)
        if cursor.description is None:
            raise ValueError(
                "query() can only be used with SQL that returns rows - "
                "use execute() for other statements"
            )
        keys = dedupe_keys(d[0] for d in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    def count_where(self, table: str, where: str, params: Params) -> int:
        """`Table.count_where`: rows of `table` matching `where`."""
        count = self.execute(f"SELECT count(*) FROM [{table}] WHERE {where}", params).fetchone()
        return int(count[0])

    def close(self) -> None:
        self.conn.close()


def dedupe_keys(keys: Iterable[str]) -> list[str]:
    """sqlite-utils' column names for a row dict: a repeated name gets `_2`, `_3`... (skipping
    a suffix another column already has), so no value silently overwrites another."""
    keys = list(keys)
    taken = set(keys)
    if len(taken) == len(keys):
        return keys
    seen: set[str] = set()
    result = []
    for key in keys:
        new_key, suffix = key, 2
        while key in seen and (new_key in seen or new_key in taken):
            new_key = f"{key}_{suffix}"
            suffix += 1
        seen.add(new_key)
        result.append(new_key)
    return result
