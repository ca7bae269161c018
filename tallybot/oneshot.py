"""`tallybot exec`, `tallybot demo` and `tallybot body import`: one piece of work against the
database as the local operator, then exit."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.files import save_attachments, saved_lines
from adapters.console.render import json_text, neutralise, render_text
from adapters.console.repl import operator_actor
from bot.commands.trackers import SLUG
from bot.demo import DEMO_COMMANDS, DEMO_TRACKER
from bot.errors import UserError
from bot.member_file import read_members_csv
from bot.members import SHIPPED_BODIES
from bot.settings import Settings
from bot.storage import Transaction
from tallybot.wiring import open_core


def exec_command(
    settings: Settings,
    command: str,
    as_user: str | None,
    as_json: bool,
    community: str | None = None,
) -> int:
    return asyncio.run(_exec(settings, command, as_user, as_json, community))


async def _exec(
    settings: Settings, command: str, as_user: str | None, as_json: bool, community: str | None
) -> int:
    actor = operator_actor(as_user)  # refuses a blank --as before anything opens
    if community is not None:
        actor = replace(actor, community=community.strip().lower())
    core = open_core(settings)
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


async def load_demo(settings: Settings) -> int:
    core = open_core(settings)
    try:
        exists = await core.store.run(lambda tx: tx.records.tracker_exists(DEMO_TRACKER))
        if exists:
            where = settings.database_label
            print(f"The demo tracker {DEMO_TRACKER} is already loaded in {where}.")
            return 0
        actor = operator_actor()
        # One transaction: a step that fails leaves nothing of the demo behind.
        replies = await core.dispatcher.run_all(DEMO_COMMANDS, actor)
        failed = next((r for r in replies if not r.ok), None)
        if failed is not None:
            print(f"The demo was not loaded: {render_text(failed)}", file=sys.stderr)
            return 1
        reply = await core.dispatcher.run_text(f"/tally {DEMO_TRACKER}", actor)
        print(f"Loaded {DEMO_TRACKER} into {settings.database_label}. Try /tally, /tally holdouts,")
        print("/tally position HU, /tally nato-sg-2024 as_of=2024-03-06.\n")
        print(render_text(reply))
        return 0
    finally:
        core.close()


def import_body(
    settings: Settings,
    file: Path,
    slug: str | None,
    name: str | None,
    *,
    replace: bool = False,
    community: str | None = None,
) -> int:
    if not file.exists():
        raise UserError(f"No file {file}.")
    members = read_members_csv(file)
    slug = (slug or file.stem).lower()
    if not SLUG.match(slug):
        raise UserError(
            f"'{slug}' can't be a body name: use 2-40 lower-case letters, digits, dashes."
        )
    core = open_core(settings)
    try:
        now = datetime.now(UTC)

        def save(tx: Transaction) -> bool:
            records = tx.records
            if community is not None:
                owner = records.community_by_slug(community)
                if owner is None:
                    raise UserError(
                        f"No community '{community}': /tally community in a channel of it "
                        "shows its name."
                    )
                records = records.scoped(owner.id)
            exists = slug in tx.records.body_slugs()
            if exists and not replace:
                shipped = " (shipped with tallybot)" if slug in SHIPPED_BODIES else ""
                raise UserError(
                    f"A body '{slug}'{shipped} already exists: add --replace to replace its "
                    "member list, or give another --slug."
                )
            records.save_body(slug, name or slug.upper(), members, now)
            return exists

        replaced = core.store.run_blocking(save)
    finally:
        core.close()
    count = f"{len(members)} member{'' if len(members) == 1 else 's'}"
    done = "Replaced the members of" if replaced else "Imported"
    whose = f" for community '{community}' alone" if community else ""
    print(f"{done} body '{slug}'{whose}: {count}. Use body={slug} in tracker new.")
    print("A bot already running keeps the list it loaded until it restarts.")
    return 0
