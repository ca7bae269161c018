"""bot.storage.Feeds on SQL: the feeds table and the items each feed has seen.

Plain SQL with `?` placeholders and no table helpers, so another engine runs it as written.
Callers hold the transaction."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.errors import UserError
from bot.feeds.model import Feed
from store.repository import utc_text
from store.sql import Db

COLUMNS = (
    "id, community_id, url, tracker_id, keywords, interval_seconds, added_by, added_at, title, "
    "etag, modified, last_checked_at, last_read_at, last_status, failures, last_error, "
    "next_try_at, suggested"
)
SEEN_BATCH = 500
"""Keys asked about per query (well under SQLite's parameter limit)."""


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _feed(row: dict[str, Any]) -> Feed:
    added_at = _time(row["added_at"])
    assert added_at is not None
    return Feed(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        url=row["url"],
        tracker_id=int(row["tracker_id"]),
        keywords=tuple(json.loads(row["keywords"])),
        interval=timedelta(seconds=int(row["interval_seconds"])),
        added_by=row["added_by"],
        added_at=added_at,
        title=row["title"],
        etag=row["etag"],
        modified=row["modified"],
        last_checked_at=_time(row["last_checked_at"]),
        last_read_at=_time(row["last_read_at"]),
        last_status=row["last_status"],
        failures=int(row["failures"]),
        last_error=row["last_error"],
        next_try_at=_time(row["next_try_at"]),
        suggested=int(row["suggested"]),
    )


class FeedRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add_feed(
        self,
        *,
        community_id: int,
        url: str,
        tracker_id: int,
        keywords: tuple[str, ...],
        interval_seconds: int,
        by: str,
        now: datetime,
    ) -> Feed:
        taken = self.db.execute(
            "SELECT id FROM feeds WHERE community_id = ? AND url = ? AND tracker_id = ?",
            [community_id, url, tracker_id],
        ).fetchone()
        if taken is not None:
            raise UserError(f"That feed is already read for this tracker (feed {taken[0]}).")
        row = self.db.execute(
            "INSERT INTO feeds (community_id, url, tracker_id, keywords, interval_seconds, "
            "added_by, added_at, next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                community_id,
                url,
                tracker_id,
                json.dumps(list(keywords), ensure_ascii=False),
                interval_seconds,
                by,
                utc_text(now),
                utc_text(now),
            ],
        ).fetchone()
        feed = self.feed(int(row[0]))
        assert feed is not None
        return feed

    def feeds(self, community_id: int) -> list[Feed]:
        rows = self.db.query(
            f"SELECT {COLUMNS} FROM feeds WHERE community_id = ? ORDER BY id", [community_id]
        )
        return [_feed(r) for r in rows]

    def feed(self, feed_id: int) -> Feed | None:
        rows = list(self.db.query(f"SELECT {COLUMNS} FROM feeds WHERE id = ?", [feed_id]))
        return _feed(rows[0]) if rows else None

    def remove_feed(self, feed_id: int) -> bool:
        self.db.execute("DELETE FROM feed_items_seen WHERE feed_id = ?", [feed_id])
        return self.db.execute("DELETE FROM feeds WHERE id = ?", [feed_id]).rowcount > 0

    def due_feeds(self, now: datetime, limit: int) -> list[Feed]:
        rows = self.db.query(
            f"SELECT {COLUMNS} FROM feeds WHERE next_try_at IS NULL OR next_try_at <= ? "
            "ORDER BY next_try_at, id LIMIT ?",
            [utc_text(now), limit],
        )
        return [_feed(r) for r in rows]

    def claim_due(self, now: datetime, limit: int, hold_until: datetime) -> list[Feed]:
        claimed = []
        for feed in self.due_feeds(now, limit):
            taken = self.db.execute(
                "UPDATE feeds SET next_try_at = ? WHERE id = ? "
                "AND (next_try_at IS NULL OR next_try_at <= ?)",
                [utc_text(hold_until), feed.id, utc_text(now)],
            )
            if taken.rowcount == 1:
                claimed.append(feed)
        return claimed

    def record_read(
        self,
        feed_id: int,
        *,
        now: datetime,
        status: str,
        etag: str | None,
        modified: str | None,
        title: str | None,
        next_try_at: datetime,
        suggested: int,
    ) -> None:
        self.db.execute(
            "UPDATE feeds SET last_checked_at = ?, last_read_at = ?, last_status = ?, "
            "etag = COALESCE(?, etag), modified = COALESCE(?, modified), "
            "title = COALESCE(?, title), failures = 0, last_error = NULL, next_try_at = ?, "
            "suggested = suggested + ? WHERE id = ?",
            [
                utc_text(now),
                utc_text(now),
                status,
                etag,
                modified,
                title,
                utc_text(next_try_at),
                suggested,
                feed_id,
            ],
        )

    def record_failure(
        self, feed_id: int, *, now: datetime, error: str, next_try_at: datetime
    ) -> None:
        self.db.execute(
            "UPDATE feeds SET last_checked_at = ?, last_status = ?, failures = failures + 1, "
            "last_error = ?, next_try_at = ? WHERE id = ?",
            [utc_text(now), "error", error, utc_text(next_try_at), feed_id],
        )

    def unseen(self, feed_id: int, keys: list[str]) -> list[str]:
        seen: set[str] = set()
        for start in range(0, len(keys), SEEN_BATCH):
            batch = keys[start : start + SEEN_BATCH]
            marks = ", ".join("?" for _ in batch)
            seen.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT item_key FROM feed_items_seen WHERE feed_id = ? "
                    f"AND item_key IN ({marks})",
                    [feed_id, *batch],
                )
            )
        return [k for k in dict.fromkeys(keys) if k not in seen]

    def mark_seen(self, feed_id: int, keys: list[str], now: datetime) -> None:
        """One statement per key (a read brings at most a hundred): `execute` is all both
        engines' connections share."""
        for key in dict.fromkeys(keys):
            self.db.execute(
                "INSERT INTO feed_items_seen (feed_id, item_key, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [feed_id, key, utc_text(now)],
            )

    def forget_seen(self, feed_id: int, keep: list[str], before: datetime) -> int:
        old = [
            r[0]
            for r in self.db.execute(
                "SELECT item_key FROM feed_items_seen WHERE feed_id = ? AND seen_at < ?",
                [feed_id, utc_text(before)],
            )
        ]
        kept = set(keep)
        gone = [k for k in old if k not in kept]
        for key in gone:
            self.db.execute(
                "DELETE FROM feed_items_seen WHERE feed_id = ? AND item_key = ?", [feed_id, key]
            )
        return len(gone)
