"""`tallybot`: run the bot, run one command, load the demo, import a body."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dotenv import load_dotenv

from adapters.console.files import save_attachments, saved_lines
from adapters.console.render import json_text, neutralise, render_text
from adapters.console.repl import operator_actor
from adapters.service import ServiceFailed
from bot.app import Core
from bot.commands.trackers import SLUG
from bot.demo import DEMO_COMMANDS, DEMO_TRACKER
from bot.errors import UserError
from bot.member_file import read_members_csv
from bot.settings import Settings, SettingsError

log = logging.getLogger("tallybot")

EXTENSIONS = (
    "adapters.discord.cli",
    "adapters.alerts_cli",
    "adapters.exchange_cli",
    "adapters.web.cli",
)
"""Modules adding subcommands: each has `register(subparsers)`, whose parsers set
`func=handler` with `handler(args, settings) -> int`."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tallybot", description=__doc__)
    parser.add_argument(
        "--db", type=Path, help="SQLite file (default: $TALLYBOT_DB or ./tallybot.db)"
    )
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("run", help="start every adapter whose credentials are set (else the console)")
    exec_ = sub.add_parser("exec", help="run one command and exit")
    exec_.add_argument("command", help='e.g. "/tally position HU"')
    exec_.add_argument("--as", dest="as_user", help="run as this user (not a moderator)")
    exec_.add_argument("--json", action="store_true", help="print the reply's data as JSON")
    exec_.add_argument("--db", type=Path, dest="exec_db", help=argparse.SUPPRESS)
    sub.add_parser("demo", help=f"load the example tracker {DEMO_TRACKER}")
    body = sub.add_parser("body", help="deciding bodies")
    body_sub = body.add_subparsers(dest="body_action", required=True)
    imp = body_sub.add_parser("import", help="add or replace a body from a CSV file")
    imp.add_argument("file", type=Path, help="columns: code,name,joined[,left,population,aliases]")
    imp.add_argument("--slug", help="short name (default: the file name)")
    imp.add_argument("--name", help="display name (default: the slug in capitals)")
    for module in EXTENSIONS:
        try:
            extension = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if not exc.name or not module.startswith(exc.name):
                raise
            continue
        extension.register(sub)
    return parser


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


def _main(argv: Sequence[str] | None) -> int:
    load_dotenv()
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    db = getattr(args, "exec_db", None) or args.db
    if db:
        settings = Settings(**{**settings.__dict__, "db_path": db})
    try:
        if hasattr(args, "func"):
            return int(args.func(args, settings))
        if args.action == "run":
            from adapters.runner import run_bot

            return asyncio.run(run_bot(settings))
        if args.action == "exec":
            return asyncio.run(_exec(settings, args.command, args.as_user, args.json))
        if args.action == "demo":
            return asyncio.run(_demo(settings))
        if args.action == "body":
            return _import_body(settings, args.file, args.slug, args.name)
    except UserError as exc:
        print(f"error: {neutralise(exc.message)}", file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ServiceFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


async def _exec(settings: Settings, command: str, as_user: str | None, as_json: bool) -> int:
    actor = operator_actor(as_user)  # refuses a blank --as before anything opens
    core = Core.open(settings)
    try:
        reply = await core.dispatcher.run_text(command, actor)
    finally:
        core.close()
    saved = save_attachments(reply, Path.cwd())
    if as_json:
        data = {**reply.data, "saved": [str(p) for p in saved]} if saved else reply.data
        print(json_text(data))
    else:
        print(render_text(reply))
        if saved:
            print(saved_lines(saved))
    if not reply.ok:
        if as_json:
            print(f"error: {neutralise(str(reply.data.get('error')))}", file=sys.stderr)
        return 1
    return 0


async def _demo(settings: Settings) -> int:
    core = Core.open(settings)
    try:
        exists = await core.store.run(lambda repo: repo.tracker_exists(DEMO_TRACKER))
        if exists:
            print(f"The demo tracker {DEMO_TRACKER} is already loaded in {settings.db_path}.")
            return 0
        actor = operator_actor()
        for command in DEMO_COMMANDS:
            reply = await core.dispatcher.run_text(command, actor)
            if not reply.ok:
                print(f"demo step failed: {command}\n{render_text(reply)}", file=sys.stderr)
                return 1
        reply = await core.dispatcher.run_text(f"/tally {DEMO_TRACKER}", actor)
        print(f"Loaded {DEMO_TRACKER} into {settings.db_path}. Try /tally, /tally holdouts,")
        print("/tally position HU, /tally nato-sg-2024 as_of=2024-03-06.\n")
        print(render_text(reply))
        return 0
    finally:
        core.close()


def _import_body(settings: Settings, file: Path, slug: str | None, name: str | None) -> int:
    from datetime import UTC, datetime

    if not file.exists():
        raise UserError(f"No file {file}.")
    members = read_members_csv(file)
    slug = (slug or file.stem).lower()
    if not SLUG.match(slug):
        raise UserError(
            f"'{slug}' can't be a body name: use 2-40 lower-case letters, digits, dashes."
        )
    core = Core.open(settings)
    try:
        now = datetime.now(UTC)
        core.store.run_blocking(
            lambda repo: repo.save_body(slug, name or slug.upper(), members, now)
        )
    finally:
        core.close()
    print(f"Imported {len(members)} members into body '{slug}'. Use body={slug} in tracker new.")
    print("A bot already running keeps the list it loaded until it restarts.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
