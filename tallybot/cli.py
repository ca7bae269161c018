"""`tallybot`: run the bot, run one command, load the demo, import a body, move records in and
out, sync Discord, deliver alerts.

Every subcommand is registered here; each handler imports its module only when it runs, so
`tallybot exec` loads the core and the store, never discord.py, Bolt or the scheduler."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.demo import DEMO_TRACKER
from bot.errors import DatabaseUnusable, ServiceFailed, UserError
from bot.settings import Settings, SettingsError, parse_database
from tallybot.logs import configure_logging

log = logging.getLogger("tallybot")

EXPORT_FORMATS = ("json", "csv")
"""`tallybot export --format`; bot.commands.exchange.FORMATS, which a test keeps equal."""
SEND_TIMEOUT = 10.0
"""`tallybot dispatch --send-timeout` default; DeliveryPolicy.send_timeout, which a test keeps
equal (importing the delivery module here would load asyncio and the store for every command)."""
WATCH_EVERY = 0.2
"""`tallybot dispatch --watch` default: DeliveryPolicy.watch_every, kept equal by the same test."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tallybot", description=__doc__)
    parser.add_argument(
        "--db",
        type=parse_database,
        help="SQLite file or postgresql:// URL (default: $TALLYBOT_DB or ./tallybot.db)",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser(
        "run", help="start every adapter whose credentials are set (else the console)"
    )
    run.set_defaults(func=_run)
    exec_ = sub.add_parser("exec", help="run one command and exit")
    exec_.add_argument("command", help='e.g. "/tally position HU"')
    exec_.add_argument("--as", dest="as_user", help="run as this user (not a moderator)")
    exec_.add_argument("--community", help="act in this community (default: local, the console's)")
    exec_.add_argument("--json", action="store_true", help="print the reply's data as JSON")
    exec_.add_argument("--db", type=parse_database, dest="exec_db", help=argparse.SUPPRESS)
    exec_.set_defaults(func=_exec)
    demo = sub.add_parser("demo", help=f"load the example tracker {DEMO_TRACKER}")
    demo.set_defaults(func=_demo)
    body = sub.add_parser("body", help="deciding bodies")
    body_sub = body.add_subparsers(dest="body_action", required=True)
    imp = body_sub.add_parser("import", help="add or replace a body from a CSV file")
    imp.add_argument("file", type=Path, help="columns: code,name,joined[,left,population,aliases]")
    imp.add_argument("--slug", help="short name (default: the file name)")
    imp.add_argument("--name", help="display name (default: the slug in capitals)")
    imp.add_argument(
        "--replace", action="store_true", help="replace the member list of an existing body"
    )
    imp.add_argument(
        "--community",
        help="the community (its name, as /tally community shows) that alone may use the body; "
        "without it every community can",
    )
    imp.set_defaults(func=_import_body)
    _add_exchange(sub)
    _add_discord(sub)
    _add_dispatch(sub)
    _add_db(sub)
    web = sub.add_parser(
        "web", help="serve the public trackers' pages (read-only; default port: $PORT or 3000)"
    )
    web.add_argument("--port", type=int, help="port to listen on (0 picks a free one)")
    web.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    web.set_defaults(func=_web)
    return parser


def _add_exchange(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="write a tracker's record as JSON or CSV")
    export.add_argument("tracker", help="tracker slug")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="json", help="default: json")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    export.set_defaults(func=_export)
    imp = sub.add_parser(
        "import", help="recreate a tracker from its JSON export, or add a CSV roll-call to one"
    )
    imp.add_argument("file", type=Path, help="a JSON export, or a CSV roll-call with --tracker")
    imp.add_argument("--as-slug", help="import the JSON export under this new slug")
    imp.add_argument(
        "--tracker",
        help="add the CSV roll-call (member,stance,date[,candidate,source,quote,speaker,"
        "confidence,condition]) to this tracker",
    )
    imp.set_defaults(func=_import)
    backup = sub.add_parser(
        "backup", help="copy the database consistently, even while the bot runs"
    )
    backup.add_argument("file", type=Path, help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(func=_backup)


def _add_discord(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("discord", help="Discord: sync slash commands, invite link")
    discord_sub = parser.add_subparsers(dest="discord_action", required=True)
    sync = discord_sub.add_parser(
        "sync", help="register the slash commands (global; --guild for instant development)"
    )
    sync.add_argument("--guild", type=int, help="sync to this server only (id), instantly")
    sync.set_defaults(func=_discord_sync)
    invite = discord_sub.add_parser("invite", help="print the link that adds the bot to a server")
    invite.set_defaults(func=_discord_invite)


def _add_dispatch(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dispatch",
        help="deliver alerts to subscribed channels (--once: what is due, then exit)",
    )
    parser.add_argument(
        "--once", action="store_true", help="deliver everything due and exit (for cron)"
    )
    parser.add_argument(
        "--send-timeout",
        type=float,
        default=SEND_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on one send after this long (default {SEND_TIMEOUT:g})",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="without --once: look for due alerts at least this often (default 30)",
    )
    parser.add_argument(
        "--watch",
        type=float,
        default=WATCH_EVERY,
        metavar="SECONDS",
        help=(
            f"without --once: look this often whether another process committed, to deliver "
            f"its alerts at once (default {WATCH_EVERY:g}; 0: only every --interval)"
        ),
    )
    parser.set_defaults(func=_dispatch)


def _add_db(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help="the database: migrate it, or copy it to PostgreSQL")
    db_sub = parser.add_subparsers(dest="db_action", required=True)
    migrate = db_sub.add_parser(
        "migrate", help="apply pending migrations to TALLYBOT_DB (a file or a PostgreSQL URL)"
    )
    migrate.set_defaults(func=_db_migrate)
    copy = db_sub.add_parser(
        "copy",
        help="copy the SQLite file in TALLYBOT_DB into an empty PostgreSQL database, checked",
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    copy.set_defaults(func=_db_copy)


# Each handler: (args, settings) -> exit status, importing what its subcommand needs.


def _db_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.db import migrate_command

    return migrate_command(args, settings)


def _db_copy(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.db import copy_command

    return copy_command(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from tallybot.run import run_bot

    return asyncio.run(run_bot(settings))


def _exec(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.oneshot import exec_command

    if args.as_user is not None and not args.as_user.strip():  # bad usage, like argparse's
        print("error: --as needs a user name, e.g. --as alice.", file=sys.stderr)
        return UNUSABLE
    return exec_command(settings, args.command, args.as_user, args.json, args.community)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from tallybot.oneshot import load_demo

    return asyncio.run(load_demo(settings))


def _import_body(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.oneshot import import_body

    return import_body(
        settings, args.file, args.slug, args.name, replace=args.replace, community=args.community
    )


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.exchange import export_command

    return export_command(args, settings)


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.exchange import import_command

    return import_command(args, settings)


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.exchange import backup_command

    return backup_command(args, settings)


def _discord_sync(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.discord_tools import sync_command

    return sync_command(args, settings)


def _discord_invite(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.discord_tools import invite_command

    return invite_command(args, settings)


def _web(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.web import web_command

    return web_command(args, settings)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from tallybot.dispatch import dispatch_command

    return dispatch_command(args, settings)


REFUSED = 1
"""Exit status of a command refused or failed: bad input, data errors in an import."""
UNUSABLE = 2
"""Exit status of a setting or database that can't work, or bad command-line usage (argparse)."""
STDOUT_CLOSED = 141
"""Exit status when whoever read our output stopped early (`| head -1`): 128 + SIGPIPE, what a
shell reports for any other tool cut off the same way."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a reader that closes the pipe early gets no traceback."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows up here, not in Python's own flush at exit
    except BrokenPipeError:
        return _stdout_closed()
    return status


def _stdout_closed() -> int:
    """Point stdout at /dev/null so the flush at exit cannot fail again (the recipe in Python's
    signal module docs), and say so with the exit status alone."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return STDOUT_CLOSED


def _load_dotenv() -> None:
    """python-dotenv's `load_dotenv()`, as before; skipped (with its import) when no `.env`
    exists where it looks: up from this file, or up from the working directory."""
    places = (Path(__file__).resolve().parent, Path.cwd())
    if not any((d / ".env").exists() for place in places for d in (place, *place.parents)):
        return
    from dotenv import load_dotenv

    load_dotenv()


def _main(argv: Sequence[str] | None) -> int:
    _load_dotenv()
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return UNUSABLE
    configure_logging(settings.log_level)
    db = getattr(args, "exec_db", None) or args.db
    if db:
        settings = Settings(**{**settings.__dict__, "db_path": db})
    try:
        return int(args.func(args, settings))
    except DatabaseUnusable as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return UNUSABLE
    except UserError as exc:
        from adapters.console.render import neutralise

        print(f"error: {neutralise(exc.message)}", file=sys.stderr)
        return REFUSED
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return UNUSABLE
    except ServiceFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
