"""Who may write: moderators are kept per platform workspace (Slack team, Discord guild)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.context import Context
from bot.commands.params import USER
from bot.commands.spec import Command, NoArgs
from bot.errors import UserError
from bot.replies import Field, Reply, Visibility


@dataclass(frozen=True)
class UserArgs:
    user: str


def add_moderator(ctx: Context, args: UserArgs) -> Reply:
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


MODERATOR_ADD = Command(
    path=("moderator", "add"),
    summary="Let a user record declarations.",
    handler=add_moderator,
    args=UserArgs,
    moderator_only=True,
    params=(USER,),
)


def remove_moderator(ctx: Context, args: UserArgs) -> Reply:
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


MODERATOR_REMOVE = Command(
    path=("moderator", "remove"),
    summary="Take a user off the moderator list.",
    handler=remove_moderator,
    args=UserArgs,
    moderator_only=True,
    params=(USER,),
)


def list_moderators(ctx: Context, args: NoArgs) -> Reply:
    rows = ctx.repo.moderators(ctx.actor.platform, ctx.actor.workspace)
    items = tuple(f"{r['user_id']} (since {r['added_at'][:10]})" for r in rows)
    return Reply(
        title="Moderators",
        fields=(Field(f"Added with /tally moderator add ({len(items)})", items, separator="\n"),),
        context=("Platform admins and configured moderator roles can always write.",),
        data={"moderators": [r["user_id"] for r in rows]},
    )


MODERATOR_LIST = Command(
    path=("moderator", "list"),
    summary="Who is on the moderator list.",
    handler=list_moderators,
    args=NoArgs,
)


def _user(args: UserArgs) -> str:
    if not args.user:
        raise UserError("Name the user: /tally moderator add @someone")
    return args.user
