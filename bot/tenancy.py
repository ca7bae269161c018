"""Which community a command acts in: the one thing every entry point (commands, completion,
the console's word list, the launcher's import and export) must agree on."""

from __future__ import annotations

from datetime import datetime

from bot.commands.context import Actor
from bot.communities import NO_COMMUNITY, Community
from bot.errors import NotFound
from bot.storage import Records


def community_for(
    records: Records, actor: Actor, writing: bool, now: datetime, shared: str | None = None
) -> Community:
    """The actor's community; a workspace's first write makes its own (or joins `shared`, the
    deployment's one community). A read before that sees what it would join, or an empty
    community, rather than writing (reads never take the write lock)."""
    if actor.community is not None:  # tallybot exec --community SLUG: the operator's choice
        found = records.community_by_slug(actor.community)
        if found is None and writing:
            found = records.new_community(actor.community, now)
        if found is None:
            raise NotFound(f"No community '{actor.community}'.")
        return found
    found = records.community_of(actor.platform, actor.workspace)
    if found is not None:
        return found
    if shared is not None:
        found = records.community_by_slug(shared)
        if writing:
            found = found or records.new_community(shared, now)
            records.join_community(actor.platform, actor.workspace, found.id, now)
        return found or NO_COMMUNITY
    if writing:
        return records.create_community(actor.platform, actor.workspace, now, actor.enterprise)
    return NO_COMMUNITY


def records_for(
    records: Records, actor: Actor, now: datetime, shared: str | None = None
) -> Records:
    """What a read by `actor` may see (never writes: a new workspace sees an empty community)."""
    return records.scoped(community_for(records, actor, False, now, shared).id)
