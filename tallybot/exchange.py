"""`tallybot export`, `tallybot import` and `tallybot backup`: the record in and out of files."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from adapters.console.render import neutralise
from adapters.console.repl import operator_actor
from bot import exchange
from bot.commands.catalog import COMMANDS
from bot.commands.context import Context
from bot.commands.exchange import export_file, import_roll_call
from bot.commands.import_checks import check_record_values
from bot.commands.trackers import check_slug
from bot.errors import UserError
from bot.replies import counted
from bot.settings import Settings, SettingsError
from bot.storage import Transaction
from bot.tenancy import community_for
from tallybot.wiring import open_core

T = TypeVar("T")


def _in_context(settings: Settings, work: Callable[[Context], T], create: bool = False) -> T:
    """`work` in one transaction of the store, run by the local operator."""
    if not create and not settings.uses_postgres:
        _require_database(Path(settings.db_path))
    core = open_core(settings)
    now = datetime.now(UTC)
    actor = operator_actor()

    def in_community(tx: Transaction) -> T:
        community = community_for(tx.records, actor, True, now)
        records = tx.records.scoped(community.id)
        return work(Context(records, tx.alerts, actor, now, community=community, writing=True))

    try:
        return core.store.run_blocking(in_community)
    finally:
        core.close()


def export_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.out is not None and args.out.exists() and not args.force:
        raise UserError(f"{args.out} already exists: choose another name, or add --force.")
    file = _in_context(
        settings, lambda ctx: export_file(ctx, ctx.tracker(args.tracker), args.format)
    )
    if args.out is None:
        content = file.content
        if sys.stdout.isatty():  # a terminal must not obey escapes in stored quotes
            lines = content.decode().split("\r\n")  # CSV rows end in CRLF: keep those
            content = "\r\n".join(neutralise(line) for line in lines).encode()
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return 0
    try:
        args.out.write_bytes(file.content)
    except OSError as exc:
        raise UserError(f"Could not write {args.out}: {exc.strerror}.") from None
    print(f"Wrote {args.out} ({len(file.content):,} bytes).", file=sys.stderr)
    return 0


def import_command(args: argparse.Namespace, settings: Settings) -> int:
    data = _read(args.file)
    if args.tracker:
        if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            raise UserError(
                f"{args.file} is a JSON export, not a CSV roll-call: drop --tracker to recreate "
                "its tracker (--as-slug NEW to rename it)."
            )
        if args.as_slug:
            raise UserError("--as-slug renames a JSON import; a CSV roll-call goes to --tracker.")
        return _import_roll_call(settings, args.file, args.tracker, data)
    if args.file.suffix.lower() == ".csv":
        raise UserError(f"{args.file} is a CSV roll-call: say which tracker with --tracker SLUG.")
    record = exchange.parse_json(data)
    check_record_values(record, datetime.now(UTC).date())
    slug = check_slug(args.as_slug or record["tracker"]["slug"])

    def work(ctx: Context) -> str:
        tracker = ctx.repo.import_tracker_record(record, slug, ctx.actor.ref, ctx.now)
        return tracker.title

    title = _in_context(settings, work, create=True)
    print(
        f"Imported {slug} ({title}): {counted(len(record['declarations']), 'declaration')}, "
        f"{counted(len(record['candidates']), 'candidate')}, "
        f"{counted(len(record['events']), 'event')}."
    )
    return 0


def _import_roll_call(settings: Settings, file: Path, slug: str, data: bytes) -> int:
    def work(ctx: Context) -> tuple[int, int]:
        declare = next(c for c in COMMANDS if c.key == "declare")
        return import_roll_call(ctx, ctx.tracker(slug), data, declare)

    count, skipped = _in_context(settings, work)
    marked = "line marked retracted was" if skipped == 1 else "lines marked retracted were"
    note = f" ({skipped} {marked} skipped)" if skipped else ""
    print(f"Recorded {counted(count, 'declaration')} on {slug} from {file}{note}.")
    return 0


def backup_command(args: argparse.Namespace, settings: Settings) -> int:
    if settings.uses_postgres:
        raise UserError(
            "tallybot backup copies an SQLite file; for PostgreSQL use the server's own "
            f"pg_dump on {settings.database_label}."
        )
    source = Path(settings.db_path)
    target: Path = args.file
    _require_database(source)
    if target.exists() and target.resolve() == source.resolve():
        raise UserError("The backup must go to another file than the database itself.")
    if target.exists() and not args.force:
        raise UserError(f"{target} already exists: choose another name, or add --force.")
    if not target.parent.is_dir():
        raise UserError(
            f"Can't write the backup {target}: the folder {target.parent} does not exist."
        )
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        trackers, declarations = copy_database(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        raise UserError(f"Could not write {target}: {exc.strerror}.") from None
    except sqlite3.OperationalError:  # the copy could not be opened: the folder is not writable
        raise UserError(
            f"Can't write the backup {target}: this user may not write there."
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    print(
        f"Backed up {source} to {target}: {counted(trackers, 'tracker')}, "
        f"{counted(declarations, 'declaration')}."
    )
    return 0


def copy_database(source: Path, target: Path) -> tuple[int, int]:
    """SQLite's online backup: one consistent snapshot, while other processes keep writing
    (WAL lets them); the copy is a single self-contained file (rollback journal)."""
    dst = sqlite3.connect(str(target))
    src = sqlite3.connect(str(source), timeout=30)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
        problem = dst.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise UserError(f"The copy failed its integrity check ({problem}); it was not kept.")
        return (
            dst.execute("SELECT COUNT(*) FROM trackers").fetchone()[0],
            dst.execute("SELECT COUNT(*) FROM declarations").fetchone()[0],
        )
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{source} could not be copied: {exc}.") from None
    finally:
        dst.close()
        src.close()


def _require_database(path: Path) -> None:
    if not Path(path).is_file():
        raise SettingsError(f"No database at {path} (set --db or TALLYBOT_DB).")


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise UserError(f"No file {file}.") from None
    except OSError as exc:
        raise UserError(f"Could not read {file}: {exc.strerror}.") from None
