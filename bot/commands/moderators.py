"""Who may write: moderators are kept per platform workspace (Slack team, Discord guild)."""

from __future__ import annotations

from typing import Any

from bot.commands.context import Context
from bot.errors import UserError
from bot.replies import Field, Reply, Visibility


def add_moderator(ctx: Context, args: dict[str, Any]) -> Reply:
    user = _user(args)
    actor = ctx.actor
    added = ctx.repo.add_moderator(actor.platform, actor.workspace, user, actor.ref, ctx.now)
    title = f"{user} is now a moderator" if added else f"{user} was already a moderator"
    return Reply(
        title=title,
        context=(f"Added by {actor.display_name}.",),
        visibility=Visibility.PUBLIC,
        data={"user": user, "added": added},
    )


def remove_moderator(ctx: Context, args: dict[str, Any]) -> Reply:
    user = _user(args)
    actor = ctx.actor
    if not ctx.repo.remove_moderator(actor.platform, actor.workspace, user):
        raise UserError(f"{user} is not on the moderator list.")
    return Reply(
        title=f"{user} is no longer a moderator",
        context=("Platform admins (and configured moderator roles) keep their rights regardless.",),
        visibility=Visibility.PUBLIC,
        data={"user": user, "removed": True},
    )


def list_moderators(ctx: Context, args: dict[str, Any]) -> Reply:
    rows = ctx.repo.moderators(ctx.actor.platform, ctx.actor.workspace)
    items = tuple(f"{r['user_id']} (since {r['added_at'][:10]})" for r in rows)
    return Reply(
        title="Moderators",
        fields=(Field(f"Added with /tally moderator add ({len(items)})", items, separator="\n"),),
        context=("Platform admins and configured moderator roles can always write.",),
        data={"moderators": [r["user_id"] for r in rows]},
    )


def _user(args: dict[str, Any]) -> str:
    if not args.get("user"):
        raise UserError("Name the user: /tally moderator add @someone")
    return args["user"]
