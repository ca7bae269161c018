"""The limits a public bot needs: writes per user per minute, trackers per community, and
subscriptions per channel and per community. Counted in the database, so they hold across every
process of a deployment.

A community (bot/communities.py) is what shares trackers, so it is what the tracker and
subscription limits count over: two workspaces linked into one community share them, and
linking cannot be used to multiply them. Writes stay counted per user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import UserError

if TYPE_CHECKING:  # bot.settings reads Limits at start-up: keep this module light
    from bot.commands.context import Actor
    from bot.communities import Community
    from bot.storage import Guards

WRITE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    writes_per_minute: int = 30
    trackers: int = 200
    channel_subscriptions: int = 50
    community_subscriptions: int = 500


class LimitReached(UserError):
    """A limit refused the command; nothing was written."""


UNLIMITED_PLATFORMS = frozenset({"console"})
"""The console and `tallybot exec` are the operator at the machine (who holds the database file
anyway): bulk scripts there are not throttled."""


def limited(actor: Actor) -> bool:
    return actor.platform not in UNLIMITED_PLATFORMS


def writer_key(actor: Actor) -> str:
    """Who a write is counted against: the user, without the display name (which changes)."""
    return f"{actor.platform}:{actor.workspace}:{actor.user_id}"


@dataclass(frozen=True)
class Usage:
    trackers: int
    channel_subscriptions: int
    community_subscriptions: int


class WriteGuard:
    """Wraps one write command inside its transaction: `before` refuses a user over the
    per-minute limit, `after` refuses a command that took a count past its limit (the
    transaction then rolls back, so nothing is written) and counts the write."""

    def __init__(
        self, guards: Guards, actor: Actor, community: Community, limits: Limits, now: datetime
    ) -> None:
        self.guards = guards
        self.actor = actor
        self.community = community
        self.limits = limits
        self.now = now
        self._before: Usage | None = None

    def before(self) -> None:
        if not limited(self.actor):
            return
        key, limit = writer_key(self.actor), self.limits.writes_per_minute
        if self.guards.writes_since(key, self.now - WRITE_WINDOW) >= limit:
            raise LimitReached(
                f"You have made {limit} changes in the last minute, the most one person may "
                f"(TALLYBOT_WRITES_PER_MINUTE={limit}); nothing was saved. Try again in a minute."
            )
        self._before = self.usage()

    def after(self) -> None:
        if not limited(self.actor):
            return
        before, now_used = self._before, self.usage()
        assert before is not None, "WriteGuard.after without before"
        checks = (
            (
                now_used.trackers,
                before.trackers,
                self.limits.trackers,
                "Community {community} already has {limit} trackers, the most one community "
                "may have (TALLYBOT_MAX_TRACKERS={limit}); nothing was saved. Archive is not "
                "enough: ask the operator to raise the limit.",
            ),
            (
                now_used.channel_subscriptions,
                before.channel_subscriptions,
                self.limits.channel_subscriptions,
                "This channel already has {limit} subscriptions, the most one channel may have "
                "(TALLYBOT_MAX_CHANNEL_SUBSCRIPTIONS={limit}); nothing was saved. Unsubscribe "
                "from one first, or subscribe to all.",
            ),
            (
                now_used.community_subscriptions,
                before.community_subscriptions,
                self.limits.community_subscriptions,
                "Community {community} already has {limit} subscriptions across its channels, "
                "the most one community may have "
                "(TALLYBOT_MAX_COMMUNITY_SUBSCRIPTIONS={limit}); nothing was saved. "
                "Unsubscribe a channel first.",
            ),
        )
        for used, was, limit, message in checks:
            if used > was and used > limit:
                raise LimitReached(message.format(limit=limit, community=self.community.slug))
        self.guards.note_write(writer_key(self.actor), self.now, self.now - WRITE_WINDOW)

    def usage(self) -> Usage:
        actor, community_id = self.actor, self.community.id
        return Usage(
            trackers=self.guards.community_trackers(community_id),
            channel_subscriptions=(
                self.guards.channel_subscriptions(actor.platform, actor.workspace, actor.channel)
                if actor.channel is not None
                else 0
            ),
            community_subscriptions=self.guards.community_subscriptions(community_id),
        )
