"""`/tally community`: what this workspace's community holds, its name, and linking
workspaces and servers into one community (invite, join, leave)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.commands.context import Context
from bot.commands.spec import Command, NoArgs, Param, ParamKind
from bot.communities import SLUG_PATTERN
from bot.errors import PermissionDenied, UserError
from bot.replies import Field, Reply, Visibility

INVITE_VALID = timedelta(hours=24)


def show_community(ctx: Context, args: NoArgs) -> Reply:
    community = ctx.community
    if not community.id:
        return Reply(
            title="No community yet",
            lines=(
                "This workspace gets its own community with its first change "
                "(/tally tracker new), or joins one with /tally community join CODE.",
            ),
            data={"community": None},
        )
    places = ctx.repo.community_members(community.id)
    mods = ctx.repo.community_moderators(community.id)
    trackers = ctx.repo.tracker_slugs()
    return Reply(
        title=f"Community {community.slug}",
        fields=(
            Field(f"Workspaces and servers ({len(places)})", tuple(f"{p} {w}" for p, w in places)),
            Field(f"Moderators ({len(mods)})", tuple(mods) or ("none listed",)),
            Field(f"Trackers ({len(trackers)})", tuple(trackers) or ("none yet",)),
        ),
        context=(f"Others follow its public trackers as {community.slug}/SLUG.",),
        data={
            "community": community.slug,
            "members": [f"{p}:{w}" for p, w in places],
            "moderators": mods,
            "trackers": trackers,
        },
    )


COMMUNITY = Command(
    path=("community", "show"),
    summary="This workspace's community: its workspaces and servers, moderators, trackers.",
    handler=show_community,
    args=NoArgs,
    examples=("/tally community",),
)


@dataclass(frozen=True)
class NameArgs:
    slug: str


def name_community(ctx: Context, args: NameArgs) -> Reply:
    slug = args.slug.strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise UserError(
            f"'{slug}' can't be a community name: use 2-40 lower-case letters, digits, dashes."
        )
    renamed = ctx.repo.rename_community(ctx.community.id, slug)
    return Reply(
        title=f"This community is now {renamed.slug}",
        context=(f"Its public trackers are followed as {renamed.slug}/SLUG.",),
        visibility=Visibility.PUBLIC,
        data={"community": renamed.slug},
    )


COMMUNITY_NAME = Command(
    path=("community", "name"),
    summary="Rename this community (others name its public trackers COMMUNITY/SLUG).",
    handler=name_community,
    args=NameArgs,
    moderator_only=True,
    params=(Param("slug", ParamKind.TEXT, "The new name.", required=True, positional=True),),
    examples=("/tally community name nato-desk",),
)


def invite(ctx: Context, args: NoArgs) -> Reply:
    code = secrets.token_urlsafe(12)
    expires = ctx.now + INVITE_VALID
    ctx.repo.add_invite(ctx.community.id, code, ctx.actor.ref, ctx.now, expires)
    return Reply(
        title=f"Invite code for {ctx.community.slug}",
        lines=(
            f"An administrator of another workspace or server runs /tally community join {code}",
            f"Valid once, until {expires:%Y-%m-%d %H:%M} UTC.",
        ),
        data={"code": code, "expires_at": expires.isoformat()},
    )


COMMUNITY_INVITE = Command(
    path=("community", "invite"),
    summary="A one-time code (24 hours) that lets another workspace or server join.",
    handler=invite,
    args=NoArgs,
    moderator_only=True,
)


@dataclass(frozen=True)
class JoinArgs:
    code: str


def join(ctx: Context, args: JoinArgs) -> Reply:
    _admin(ctx, "join")
    target = ctx.repo.use_invite(args.code, ctx.actor.ref, ctx.now)
    if target is None:
        raise UserError("That invite code is unknown, used or expired: ask for a new one.")
    actor = ctx.actor
    brought = ctx.repo.move_workspace(actor.platform, actor.workspace, target, ctx.now)
    lines = [f"Trackers brought along: {', '.join(brought)}."] if brought else []
    return Reply(
        title=f"This workspace joined the community {target.slug}",
        lines=tuple(lines),
        visibility=Visibility.PUBLIC,
        data={"community": target.slug, "brought": brought},
    )


COMMUNITY_JOIN = Command(
    path=("community", "join"),
    summary="Join another community with its invite code (administrators).",
    handler=join,
    args=JoinArgs,
    moderator_only=True,
    params=(
        Param(
            "code", ParamKind.TEXT, "From /tally community invite.", required=True, positional=True
        ),
    ),
)


def leave(ctx: Context, args: NoArgs) -> Reply:
    _admin(ctx, "leave")
    actor = ctx.actor
    fresh = ctx.repo.leave_community(actor.platform, actor.workspace, ctx.now)
    return Reply(
        title=f"This workspace left {ctx.community.slug}",
        lines=(f"It is now the community {fresh.slug}; {ctx.community.slug} keeps its trackers.",),
        visibility=Visibility.PUBLIC,
        data={"community": fresh.slug, "left": ctx.community.slug},
    )


COMMUNITY_LEAVE = Command(
    path=("community", "leave"),
    summary="Take this workspace or server out of its community (nothing is deleted).",
    handler=leave,
    args=NoArgs,
    moderator_only=True,
)


def _admin(ctx: Context, verb: str) -> None:
    """Joining or leaving moves a whole workspace: its administrators decide, not moderators."""
    if not ctx.actor.platform_moderator:
        raise PermissionDenied(
            f"Only an administrator of this workspace or server can {verb} a community."
        )
