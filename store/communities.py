"""Communities, in SQL both engines run: which community a workspace belongs to, and making
one on first use."""

from __future__ import annotations

import hashlib

from bot.communities import Community, default_slug
from bot.errors import UserError
from store.sql import Db, insert, insert_row


def community_of(db: Db, platform: str, workspace: str) -> Community | None:
    row = db.execute(
        "SELECT c.id, c.slug, c.name FROM community_members m "
        "JOIN communities c ON c.id = m.community_id "
        "WHERE m.platform = ? AND m.workspace = ?",
        [platform, workspace],
    ).fetchone()
    return Community(row[0], row[1], row[2]) if row else None


def community_by_slug(db: Db, slug: str) -> Community | None:
    row = db.execute("SELECT id, slug, name FROM communities WHERE slug = ?", [slug]).fetchone()
    return Community(row[0], row[1], row[2]) if row else None


def new_community(db: Db, slug: str, now: str) -> Community:
    """A community of no workspace yet (`tallybot exec --community SLUG` writing first)."""
    community_id = insert(db, "communities", {"slug": slug, "name": slug, "created_at": now})
    return Community(community_id, slug, slug)


def join_community(db: Db, platform: str, workspace: str, community_id: int, now: str) -> None:
    """The workspace belongs to `community_id` from now on (whatever it belonged to before)."""
    db.execute(
        "INSERT INTO community_members (platform, workspace, community_id, joined_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (platform, workspace) DO UPDATE SET "
        "community_id = excluded.community_id, joined_at = excluded.joined_at",
        [platform, workspace, community_id, now],
    )


def create_community(
    db: Db, platform: str, workspace: str, now: str, enterprise: str | None = None
) -> Community:
    """The workspace's own new community (its first write), named after it until renamed."""
    slug = _free_slug(db, platform, workspace)
    community_id = insert(db, "communities", {"slug": slug, "name": slug, "created_at": now})
    insert_row(
        db,
        "community_members",
        {
            "platform": platform,
            "workspace": workspace,
            "enterprise": enterprise,
            "community_id": community_id,
            "joined_at": now,
        },
    )
    return Community(community_id, slug, slug)


def _free_slug(db: Db, platform: str, workspace: str) -> str:
    """The workspace's default community name, numbered if a community already has it."""
    base = default_slug(platform, workspace)
    slug, n = base, 1
    while community_by_slug(db, slug) is not None:
        n += 1
        slug = f"{base[:36]}-{n}"
    return slug


def members(db: Db, community_id: int) -> list[tuple[str, str]]:
    """The community's workspaces and servers, as (platform, workspace)."""
    rows = db.execute(
        "SELECT platform, workspace FROM community_members WHERE community_id = ? "
        "ORDER BY platform, workspace",
        [community_id],
    )
    return [(r[0], r[1]) for r in rows]


def moderators(db: Db, community_id: int) -> list[str]:
    """Everyone on the community's moderator lists, as platform:workspace:user."""
    rows = db.execute(
        "SELECT platform, workspace, user_id FROM moderators WHERE community_id = ? "
        "ORDER BY platform, workspace, added_at",
        [community_id],
    )
    return [f"{r[0]}:{r[1]}:{r[2]}" for r in rows]


def rename(db: Db, community_id: int, slug: str) -> Community:
    taken = community_by_slug(db, slug)
    if taken is not None and taken.id != community_id:
        raise UserError(f"The community name '{slug}' is taken: pick another.")
    db.execute("UPDATE communities SET slug = ?, name = ? WHERE id = ?", [slug, slug, community_id])
    return Community(community_id, slug, slug)


def _digest(code: str) -> str:
    """Invite codes are kept as hashes: a copy of the database does not hand out entry."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def add_invite(db: Db, community_id: int, code: str, by: str, now: str, expires_at: str) -> None:
    insert_row(
        db,
        "community_invites",
        {
            "code": _digest(code),
            "community_id": community_id,
            "created_by": by,
            "created_at": now,
            "expires_at": expires_at,
        },
    )


def use_invite(db: Db, code: str, by: str, now: str) -> Community | None:
    """The community a valid code (unused, not expired) invites to; the code is spent."""
    row = db.execute(
        "SELECT community_id FROM community_invites "
        "WHERE code = ? AND used_at IS NULL AND expires_at > ?",
        [_digest(code), now],
    ).fetchone()
    if row is None:
        return None
    db.execute(
        "UPDATE community_invites SET used_by = ?, used_at = ? WHERE code = ?",
        [by, now, _digest(code)],
    )
    found = db.execute("SELECT id, slug, name FROM communities WHERE id = ?", [row[0]]).fetchone()
    return Community(found[0], found[1], found[2])


def move_workspace(db: Db, platform: str, workspace: str, target: Community, now: str) -> list[str]:
    """The workspace joins `target`. Alone in its old community, it brings that community's
    trackers, bodies, moderators and subscriptions (refused, nothing moved, if a tracker slug
    clashes); otherwise only its own moderators and subscriptions follow it. Returns the slugs
    of the trackers that came along."""
    old = community_of(db, platform, workspace)
    if old is not None and old.id == target.id:
        raise UserError(f"This workspace is already in the community {target.slug}.")
    brought: list[str] = []
    if old is not None and members(db, old.id) == [(platform, workspace)]:
        clash = [
            r[0]
            for r in db.execute(
                "SELECT slug FROM trackers WHERE community_id = ? AND slug IN "
                "(SELECT slug FROM trackers WHERE community_id = ?) ORDER BY slug",
                [old.id, target.id],
            )
        ]
        if clash:
            raise UserError(
                f"{target.slug} already has trackers named {', '.join(clash)}: rename yours "
                "first (nothing was moved)."
            )
        brought = [
            r[0]
            for r in db.execute(
                "SELECT slug FROM trackers WHERE community_id = ? ORDER BY slug", [old.id]
            )
        ]
        for table in ("trackers", "bodies", "moderators", "subscriptions"):
            db.execute(
                f"UPDATE {table} SET community_id = ? WHERE community_id = ?", [target.id, old.id]
            )
    elif old is not None:
        _take_along(db, platform, workspace, old.id, target.id, now)
    join_community(db, platform, workspace, target.id, now)
    return brought


def leave(db: Db, platform: str, workspace: str, now: str) -> Community:
    """The workspace leaves its community for a new one of its own. Nothing is deleted: the
    trackers stay with the community; the workspace's moderators and 'all' subscriptions go
    with it, and its channels stop following the community's private trackers."""
    old = community_of(db, platform, workspace)
    if old is None or members(db, old.id) == [(platform, workspace)]:
        raise UserError("This workspace is the only one in its community: there is none to leave.")
    fresh = new_community(db, _free_slug(db, platform, workspace), now)
    _take_along(db, platform, workspace, old.id, fresh.id, now)
    join_community(db, platform, workspace, fresh.id, now)
    return fresh


def _take_along(db: Db, platform: str, workspace: str, old_id: int, new_id_: int, now: str) -> None:
    where = "platform = ? AND workspace = ? AND community_id = ?"
    key = [platform, workspace, old_id]
    db.execute(f"UPDATE moderators SET community_id = ? WHERE {where}", [new_id_, *key])
    db.execute(
        f"UPDATE subscriptions SET removed_at = ?, updated_at = ? WHERE {where} "
        "AND removed_at IS NULL AND tracker_id IN "
        "(SELECT id FROM trackers WHERE community_id = ? AND visibility = 'private')",
        [now, now, *key, old_id],
    )
    db.execute(f"UPDATE subscriptions SET community_id = ? WHERE {where}", [new_id_, *key])
