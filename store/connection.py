"""The store's connection: plain reads on the standard library, sqlite-utils for table writes.

Importing sqlite-utils costs more than the rest of a `tallybot exec` start-up (it loads numpy
when numpy is installed, and matplotlib brings numpy). A command that only reads needs none
of it, so `query`, `execute` and `count_where` run on sqlite3 itself, and the sqlite-utils
`Database` wrapper (`utils`, `table`) is made on the first write that wants its table helpers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.db import Table

Params = Sequence[Any] | dict[str, Any]


class Connection:
    """One sqlite3 connection in autocommit mode (see store.database), with sqlite-utils' read
    methods done the same way and its `Database` wrapper made on demand."""

    row_locks = False
    """Whether a claim must lock the rows it reads (`FOR UPDATE SKIP LOCKED`): not on SQLite,
    whose write transaction already shuts every other writer out (store/claims.py)."""

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
