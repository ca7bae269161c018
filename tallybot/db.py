"""`tallybot db migrate` (bring TALLYBOT_DB, either engine, to the current schema) and
`tallybot db copy --to postgresql://...` (move an SQLite file's community to PostgreSQL)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.commands.dispatcher import utc_now
from bot.settings import Settings, database_label, is_database_url

if TYPE_CHECKING:  # psycopg and the store load only when a subcommand runs
    from store.copy import CopyReport

REFUSED = 1
UNUSABLE = 2


def migrate_command(args: argparse.Namespace, settings: Settings) -> int:
    from store.schema import STEPS

    label = settings.database_label
    if settings.uses_postgres:
        applied = _migrate_postgres(settings.database)
    else:
        applied = _migrate_sqlite(Path(settings.database))
    if applied:
        print(f"Applied {len(applied)} migration(s) to {label}: {', '.join(applied)}.")
    else:
        print(
            f"{label} is up to date: nothing to apply "
            f"({len(STEPS)} migrations, the last {STEPS[-1].__name__})."
        )
    return 0


def _migrate_sqlite(path: Path) -> list[str]:
    import contextlib
    import sqlite3

    from store.connection import Connection
    from store.database import open_database, pending_migrations

    if not path.parent.is_dir():
        print(f"error: TALLYBOT_DB={path}: no folder {path.parent}.", file=sys.stderr)
        raise SystemExit(UNUSABLE)
    with contextlib.closing(sqlite3.connect(path)) as raw:
        pending = pending_migrations(Connection(raw))
    db = open_database(path)  # applies them, once however many processes start together
    try:
        left = set(pending_migrations(db))
    finally:
        db.close()
    return [name for name in pending if name not in left]


def _migrate_postgres(url: str) -> list[str]:
    import psycopg

    from store.postgres.migrate import migrate

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        return migrate(conn)


def copy_command(args: argparse.Namespace, settings: Settings) -> int:
    """Copy, check, and print the comparison; exit 0 only when every count and tally agree."""
    target: str = args.to
    if settings.uses_postgres:
        print(
            "error: db copy reads the SQLite file in TALLYBOT_DB, which is a PostgreSQL URL: "
            "set TALLYBOT_DB to the file (or pass --db FILE).",
            file=sys.stderr,
        )
        return UNUSABLE
    if not is_database_url(target):
        print(
            f"error: --to {target} is not a PostgreSQL URL: use one such as "
            "postgresql://user@host:5432/tallybot.",
            file=sys.stderr,
        )
        return UNUSABLE
    source = Path(settings.database)
    if not source.is_file():
        print(f"error: TALLYBOT_DB={source} does not exist: nothing to copy.", file=sys.stderr)
        return UNUSABLE
    return _copy(source, target, utc_now().date())


def _copy(source: Path, target: str, today: date) -> int:
    import psycopg

    from store.copy import CopyFailed, CopyMismatch, copy_to_postgres

    label = database_label(target)
    print(f"Copying {source} to {label} (one transaction)...", flush=True)
    try:
        report = copy_to_postgres(source, target, today)
    except CopyMismatch as exc:
        print_report(exc.report)
        print(
            f"error: {label} does not read back the same as {source} (marked ≠ above): the "
            "copy was rolled back, nothing was written.",
            file=sys.stderr,
        )
        return REFUSED
    except CopyFailed as exc:
        print(
            f"error: PostgreSQL refused the rows of {exc.table} ({exc.reason}): the copy was "
            "rolled back, nothing was written.",
            file=sys.stderr,
        )
        return REFUSED
    except psycopg.OperationalError as exc:
        print(f"error: {label} could not be used: {_reason(exc, target)}", file=sys.stderr)
        return REFUSED
    print_report(report)
    if report.migrations:
        print(f"Created the schema on {label} ({len(report.migrations)} migrations).")
    print(
        f"Copied {report.rows:,} rows in {len(report.tables)} tables; every row count and every "
        f"tally ({len(report.tallies)} checks) is the same on both sides."
    )
    print("Next: set TALLYBOT_DB to that URL and start the bot (`make run`).")
    return 0


def _reason(exc: Exception, url: str) -> str:
    """The driver's first line, with the URL's password taken out should it appear."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    password = urlsplit(url).password
    return text.replace(password, "[password]") if password else text


def print_report(report: CopyReport) -> None:
    width = max([len(t.table) for t in report.tables] + [5])
    print(f"{'table':<{width}}  {'SQLite':>9}  {'PostgreSQL':>10}")
    for count in report.tables:
        mark = "" if count.same else "  ≠"
        print(f"{count.table:<{width}}  {count.source:>9,}  {count.target:>10,}{mark}")
    if not report.tallies:
        print("(no trackers: no tally to compare)")
        return
    slug_width = max(len(t.tracker) for t in report.tallies)
    print(f"{'tracker':<{slug_width}}  {'day':<20}  SQLite | PostgreSQL")
    for check in report.tallies:
        day = f"{check.label} {check.day.isoformat()}"
        mark = "same" if check.same else "≠"
        print(f"{check.tracker:<{slug_width}}  {day:<20}  {check.source} | {check.target}  {mark}")
