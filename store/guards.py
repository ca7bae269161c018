"""bot.storage.Guards (in SQL both engines run): the replay record and the counts the limits read.

Every method runs inside the caller's transaction (a write one for `first_sight` and
`note_write`), so two processes on the same database see each other's rows at once.
"""

from __future__ import annotations

from datetime import datetime

from store.sql import Db


class GuardRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def first_sight(self, signature: str, timestamp: int, expires: datetime, now: datetime) -> bool:
        """Record a signed request; False if it was already recorded (a replay). The primary
        key makes the INSERT itself the check, so two processes racing cannot both pass."""
        self.db.execute("DELETE FROM seen_requests WHERE expires_at < ?", [now.timestamp()])
        cursor = self.db.execute(
            "INSERT INTO seen_requests (signature, timestamp, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [signature, timestamp, expires.timestamp()],
        )
        return cursor.rowcount > 0

    def writes_since(self, actor: str, since: datetime) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM recent_writes WHERE actor = ? AND at > ?",
            [actor, since.timestamp()],
        ).fetchone()
        return int(row[0])

    def note_write(self, actor: str, now: datetime, forget_before: datetime) -> None:
        self.db.execute("DELETE FROM recent_writes WHERE at < ?", [forget_before.timestamp()])
        self.db.execute(
            "INSERT INTO recent_writes (actor, at) VALUES (?, ?)", [actor, now.timestamp()]
        )

    def community_trackers(self, community_id: int) -> int:
        """Trackers a community holds (archived ones too: they still take room)."""
        row = self.db.execute(
            "SELECT count(*) FROM trackers WHERE community_id = ?", (community_id,)
        ).fetchone()
        return int(row[0])

    def channel_subscriptions(self, platform: str, workspace: str, channel: str) -> int:
        """Active subscriptions of one channel."""
        row = self.db.execute(
            "SELECT count(*) FROM subscriptions WHERE platform = ? AND workspace = ? "
            "AND channel = ? AND removed_at IS NULL",
            [platform, workspace, channel],
        ).fetchone()
        return int(row[0])

    def community_subscriptions(self, community_id: int) -> int:
        """Active subscriptions across every channel of a community's workspaces."""
        row = self.db.execute(
            "SELECT count(*) FROM subscriptions WHERE community_id = ? AND removed_at IS NULL",
            [community_id],
        ).fetchone()
        return int(row[0])
