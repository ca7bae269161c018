"""`tallybot db copy`: an SQLite file's every row into an empty PostgreSQL database, checked.

One transaction on the target (and one read snapshot of the file): the schema (the numbered
migrations, under their advisory lock), every table in foreign-key order with its ids kept, the
identity sequences moved past the copied ids, then the proof: every table's row count and every
tracker's tally at its opening day, its midpoint and today, read back on both sides through the
same repository code. Any difference, or any failure, rolls the whole transaction back: the
target is left as it was.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bot.domain import Tracker
from bot.errors import UserError
from bot.members import SHIPPED_BODIES
from bot.storage import Records
from bot.tally import Tally, compute_tally
from store.connection import Connection
from store.database import open_database, transaction
from store.postgres.connection import PgConnection
from store.postgres.migrate import MIGRATIONS_TABLE as PG_MIGRATIONS
from store.postgres.migrate import migrate
from store.repository import Repository
from store.schema import MIGRATIONS_TABLE as SQLITE_MIGRATIONS

SEEDED = ("bodies", "members")
"""Filled when a store first opens (the shipped bodies): replaced by the copy, not data."""
BATCH = 5000


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def same(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class TallyCheck:
    tracker: str
    label: str
    """opening, midpoint or today."""
    day: date
    source: str
    target: str
    same: bool


@dataclass(frozen=True)
class CopyReport:
    tables: tuple[TableCount, ...]
    tallies: tuple[TallyCheck, ...]
    migrations: tuple[str, ...]
    """The migrations applied to the target first."""

    @property
    def same(self) -> bool:
        return all(t.same for t in self.tables) and all(t.same for t in self.tallies)

    @property
    def rows(self) -> int:
        return sum(t.source for t in self.tables)


class TargetNotEmpty(UserError):
    """The target already holds tallybot data: a copy never merges into it."""


class CopyMismatch(Exception):
    """The read-back differs: the transaction was rolled back; the report says where."""

    def __init__(self, report: CopyReport) -> None:
        super().__init__("the copy does not read back the same")
        self.report = report


class CopyFailed(Exception):
    """PostgreSQL refused a table's rows (rolled back): which table, and its reason."""

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(f"{table}: {reason}")
        self.table = table
        self.reason = reason


def copy_to_postgres(source: Path, url: str, today: date) -> CopyReport:
    """Copy every table of the SQLite file `source` into the empty database `url`, check,
    commit; raise (having changed nothing) when the target is not empty, a row is refused or
    the check differs."""
    src = open_database(source)  # brings the file up to the current migration first
    try:
        tables = tables_in_order(src)
        # One read transaction on the file too: every table and the checks see one snapshot,
        # even if a process still writes to it meanwhile.
        with (
            transaction(src, write=False),
            psycopg.connect(url, autocommit=True) as conn,
            conn.transaction(),
        ):
            applied = migrate(conn)  # a savepoint of this transaction, lock held until commit
            _check_columns(src, conn, tables)
            _refuse_data(conn, tables)
            for table in reversed(tables):  # children first
                if table in SEEDED:
                    conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            for table in tables:
                _copy_table(src, conn, table)
            _reset_identities(conn, tables)
            report = CopyReport(
                tuple(_counts(src, conn, tables)),
                tuple(_tallies(src, conn, today)),
                tuple(applied),
            )
            if not report.same:
                raise CopyMismatch(report)
        return report
    finally:
        src.close()


def tables_in_order(src: Connection) -> list[str]:
    """The file's tables, every one after those its foreign keys point to."""
    names = [
        str(row[0])
        for row in src.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name != ? ORDER BY name",
            [SQLITE_MIGRATIONS],
        )
    ]
    graph: dict[str, set[str]] = {}
    for name in names:
        parents = {str(row[2]) for row in src.execute(f'PRAGMA foreign_key_list("{name}")')}
        graph[name] = parents - {name}
    return list(graphlib.TopologicalSorter(graph).static_order())


def _columns(src: Connection, table: str) -> list[str]:
    return [str(row[1]) for row in src.execute(f'PRAGMA table_info("{table}")')]


def _check_columns(src: Connection, conn: psycopg.Connection[Any], tables: list[str]) -> None:
    """Both sides at the same migration have the same tables and columns; say which differs."""
    for table in tables:
        found = {
            str(row[0])
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                [table],
            )
        }
        missing = [c for c in _columns(src, table) if c not in found]
        if missing:
            raise UserError(
                f"The PostgreSQL database has no {table}.{missing[0]}: its schema is not "
                "tallybot's of this version; copy into an empty database."
            )


def _refuse_data(conn: psycopg.Connection[Any], tables: list[str]) -> None:
    """Anything beyond the shipped bodies a store seeds when it first opens is data."""
    held = []
    shipped = [list(SHIPPED_BODIES)]
    for table in tables:
        if table == "bodies":
            row = conn.execute("SELECT count(*) FROM bodies WHERE slug <> ALL(%s)", shipped)
        elif table == "members":
            row = conn.execute("SELECT count(*) FROM members WHERE body <> ALL(%s)", shipped)
        else:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        found = row.fetchone()
        if found and found[0]:
            held.append(f"{table}: {found[0]}")
    if held:
        raise TargetNotEmpty(
            f"The PostgreSQL database already holds tallybot data ({', '.join(held[:4])}"
            f"{', ...' if len(held) > 4 else ''}): db copy only fills an empty database, so "
            "nothing was written. Copy into a new database (createdb tallybot) or schema."
        )


def _rows(src: Connection, table: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    listed = ", ".join(f'"{c}"' for c in columns)
    cursor = src.execute(f'SELECT {listed} FROM "{table}"')
    while batch := cursor.fetchmany(BATCH):
        yield from batch


def _copy_table(src: Connection, conn: psycopg.Connection[Any], table: str) -> None:
    columns = _columns(src, table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    try:
        with conn.cursor().copy(statement) as copy:
            for row in _rows(src, table, columns):
                copy.write_row(row)
    except psycopg.Error as exc:
        reason = exc.diag.message_primary or type(exc).__name__
        raise CopyFailed(table, reason) from None


def _reset_identities(conn: psycopg.Connection[Any], tables: list[str]) -> None:
    """Each identity column's sequence continues after the highest copied id."""
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in rows:
        if table not in tables:
            continue
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({qualified}, {column}), "
                "COALESCE((SELECT max({col}) FROM {table}), 0) + 1, false)"
            ).format(
                qualified=sql.Literal(sql.Identifier(table).as_string(conn)),
                column=sql.Literal(column),
                col=sql.Identifier(column),
                table=sql.Identifier(table),
            )
        )


def _counts(
    src: Connection, conn: psycopg.Connection[Any], tables: list[str]
) -> Iterator[TableCount]:
    for table in tables:
        source = src.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        target = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()
        yield TableCount(table, int(source[0]), int(target[0]) if target else -1)


def checked_days(tracker: Tracker, today: date) -> list[tuple[str, date]]:
    """The tracker's opening day, the midpoint to its end (closing day or today), and today."""
    end = max(tracker.closed_on or today, tracker.opened)
    middle = tracker.opened + timedelta(days=(end - tracker.opened).days // 2)
    days = [("opening", tracker.opened), ("midpoint", middle), ("today", max(today, end))]
    unique: list[tuple[str, date]] = []
    for label, day in days:
        if all(day != kept for _, kept in unique):
            unique.append((label, day))
    return unique


def _tallies(src: Connection, conn: psycopg.Connection[Any], today: date) -> Iterator[TallyCheck]:
    source = Repository(src)
    target = Repository(PgConnection(conn, lambda: 0))  # inside the copy's transaction
    ids = [int(row[0]) for row in src.execute("SELECT id FROM trackers ORDER BY id")]
    for tracker_id in ids:
        tracker = source.tracker_by_id(tracker_id)
        for label, day in checked_days(tracker, today):
            mine, theirs = _tally(source, tracker_id, day), _tally(target, tracker_id, day)
            yield TallyCheck(
                tracker.slug,
                label,
                day,
                summary(mine),
                summary(theirs),
                fingerprint(mine) == fingerprint(theirs),
            )


def _tally(repo: Records, tracker_id: int, day: date) -> Tally:
    tracker = repo.tracker_by_id(tracker_id)
    return compute_tally(tracker, repo.body(tracker.body), day, repo.positions(tracker, day))


def summary(tally: Tally) -> str:
    """What `/tally` leads with: backers of the rule out of the voters, and the outcome."""
    return (
        f"{len(tally.supporters)} of {len(tally.voters)}, "
        f"{len(tally.undeclared)} undeclared, {tally.verdict.outcome.value}"
    )


def fingerprint(tally: Tally) -> tuple[object, ...]:
    """Everything a tally says, in plain values (so two engines' rows compare equal)."""
    return (
        tally.verdict,
        tally.leader.name if tally.leader else None,
        tuple(sorted((s.value, codes) for s, codes in tally.by_stance.items())),
        tally.undeclared,
        tally.approved,
        tuple(sorted(tally.by_stage.items())),
        tally.departed,
        tally.voters_codes(),
        tuple(sorted((c, d.id, d.stance.value, d.made_on) for c, d in tally.positions.items())),
    )


__all__ = ["PG_MIGRATIONS", "CopyFailed", "CopyMismatch", "CopyReport", "TargetNotEmpty"]
