"""Synchronous queries and writes on the alert tables. Callers hold the transaction.

Subscriptions are never deleted (unsubscribing stamps `removed_at`) so every outbox row keeps
the subscription it was written for; pending rows of a removed subscription are cancelled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.alerts.channels import ChannelRef
from bot.alerts.model import ChannelState, Mode, PendingAlert, Subscription, Variant
from store.claims import ChannelLeases
from store.repository import utc_text
from store.sql import Db, insert, update

_SUBSCRIPTION_COLUMNS = """
    s.id, s.platform, s.workspace, s.channel, s.tracker_id, t.slug AS tracker_slug, s.mode,
    s.digest_at, s.tz, s.created_by, s.created_at, s.updated_at, s.cards, s.community_id,
    CASE WHEN t.community_id IS NOT DISTINCT FROM s.community_id THEN NULL ELSE
        (SELECT c.slug FROM communities c WHERE c.id = t.community_id) END AS tracker_owner
"""
_CHANNEL_MATCH = "platform = ? AND workspace = ? AND channel = ?"
_FOLLOWABLE = (
    "(s.tracker_id IS NULL OR t.community_id IS NOT DISTINCT FROM s.community_id "
    "OR t.visibility = 'public')"
)
"""A channel hears of another community's tracker only while it is public (made private, its
followers elsewhere stop getting alerts and digests)."""
_PENDING_COLUMNS = """
    o.id, o.event_id, o.subscription_id, o.platform, o.workspace, o.channel, o.variant,
    o.attempts, CASE o.variant WHEN 'milestone' THEN e.milestone_reply ELSE e.reply END AS body,
    e.tracker_id AS event_tracker_id, e.recorded_at AS event_recorded_at,
    (SELECT cards FROM subscriptions WHERE id = o.subscription_id) AS cards
"""


def _key(channel: ChannelRef) -> list[str]:
    return [channel.platform, channel.workspace, channel.channel]


def _pending(row: dict[str, Any]) -> PendingAlert:
    return PendingAlert(
        id=row["id"],
        event_id=row["event_id"],
        subscription_id=row["subscription_id"],
        channel=ChannelRef(row["platform"], row["workspace"], row["channel"]),
        variant=Variant(row["variant"]),
        reply_json=row["body"],
        attempts=row["attempts"],
        tracker_id=row["event_tracker_id"],
        recorded_at=_time(row["event_recorded_at"]),
        cards=bool(row["cards"]),
    )


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class AlertRepository(ChannelLeases):
    def __init__(self, db: Db) -> None:
        self.db = db

    # subscriptions ----------------------------------------------------------

    def subscribe(
        self,
        channel: ChannelRef,
        tracker_id: int | None,
        mode: Mode,
        digest_at: str | None,
        tz: str,
        by: str,
        now: datetime,
        cards: bool = False,
        community_id: int | None = None,
    ) -> tuple[Subscription, bool]:
        """Create or replace this channel's subscription for the scope; True if it is new.

        Subscribing again also resumes a paused channel: a moderator saying "send here" is the
        signal that the channel is back."""
        existing = self._scope_row(channel, tracker_id)
        values = {
            "mode": str(mode),
            "digest_at": digest_at,
            "tz": tz,
            "updated_at": utc_text(now),
            "removed_at": None,
            "cards": int(cards),
        }
        if existing is None:
            sub_id = insert(
                self.db,
                "subscriptions",
                {
                    "platform": channel.platform,
                    "workspace": channel.workspace,
                    "channel": channel.channel,
                    "tracker_id": tracker_id,
                    "created_by": by,
                    "created_at": utc_text(now),
                    "community_id": community_id,
                    **values,
                },
            )
            created = True
        else:
            sub_id = existing["id"]
            created = existing["removed_at"] is not None
            update(self.db, "subscriptions", sub_id, values)
        self.resume_channel(channel)
        return self.subscription(sub_id), created

    def _scope_row(self, channel: ChannelRef, tracker_id: int | None) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT id, removed_at FROM subscriptions WHERE platform = ? AND workspace = ? "
                "AND channel = ? AND COALESCE(tracker_id, 0) = ?",
                [*_key(channel), tracker_id or 0],
            )
        )
        return rows[0] if rows else None

    def unsubscribe(
        self, channel: ChannelRef, tracker_id: int | None, everything: bool, now: datetime
    ) -> list[Subscription]:
        """Stop the scope's subscription (or all of the channel's); cancel what they had queued."""
        removed = [
            s
            for s in self.channel_subscriptions(channel)
            if everything or s.tracker_id == tracker_id
        ]
        for sub in removed:
            update(self.db, "subscriptions", sub.id, {"removed_at": utc_text(now)})
            self.db.execute(
                "UPDATE alert_outbox SET status = 'cancelled', last_error = 'unsubscribed' "
                "WHERE subscription_id = ? AND status = 'pending'",
                [sub.id],
            )
        return removed

    def subscription(self, sub_id: int) -> Subscription:
        return self._subscriptions("s.id = ?", [sub_id])[0]

    def active_subscription(self, sub_id: int) -> Subscription | None:
        found = self._subscriptions(
            f"s.id = ? AND s.removed_at IS NULL AND {_FOLLOWABLE}", [sub_id]
        )
        return found[0] if found else None

    def channel_subscriptions(self, channel: ChannelRef) -> list[Subscription]:
        return self._subscriptions(
            "s.platform = ? AND s.workspace = ? AND s.channel = ? AND s.removed_at IS NULL",
            _key(channel),
        )

    def matching_subscriptions(self, tracker_id: int) -> list[Subscription]:
        """Who hears about this tracker: one subscription per channel, the tracker's own
        subscription winning over the channel's 'all'."""
        found = self._subscriptions(
            "s.removed_at IS NULL AND (s.tracker_id = ? OR (s.tracker_id IS NULL AND "
            "s.community_id IS NOT DISTINCT FROM "
            "(SELECT community_id FROM trackers WHERE id = ?))) "
            f"AND {_FOLLOWABLE}",
            [tracker_id, tracker_id],
        )
        chosen: dict[ChannelRef, Subscription] = {}
        for sub in found:
            current = chosen.get(sub.channel)
            if current is None or (current.tracker_id is None and sub.tracker_id is not None):
                chosen[sub.channel] = sub
        return list(chosen.values())

    def digest_subscriptions(self) -> list[Subscription]:
        return self._subscriptions(
            f"s.removed_at IS NULL AND s.mode = 'digest' AND {_FOLLOWABLE}", []
        )

    def subscriptions_version(self) -> tuple[int, str]:
        """Changes whenever a subscription is added, changed or removed (digest jobs re-sync)."""
        row = self.db.execute("SELECT count(*), max(updated_at) FROM subscriptions").fetchone()
        removed = self.db.execute("SELECT max(removed_at) FROM subscriptions").fetchone()[0]
        return row[0], f"{row[1]}|{removed}"

    def _subscriptions(self, where: str, params: list[Any]) -> list[Subscription]:
        rows = self.db.query(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions s "
            f"LEFT JOIN trackers t ON t.id = s.tracker_id WHERE {where} ORDER BY s.id",
            params,
        )
        return [
            Subscription(
                id=r["id"],
                channel=ChannelRef(r["platform"], r["workspace"], r["channel"]),
                tracker_id=r["tracker_id"],
                tracker_slug=(
                    f"{r['tracker_owner']}/{r['tracker_slug']}"
                    if r["tracker_owner"] and r["tracker_slug"]
                    else r["tracker_slug"]
                ),
                mode=Mode(r["mode"]),
                digest_at=r["digest_at"],
                tz=r["tz"],
                created_by=r["created_by"],
                created_at=datetime.fromisoformat(r["created_at"]),
                updated_at=datetime.fromisoformat(r["updated_at"]),
                cards=bool(r["cards"]),
                community_id=r["community_id"],
            )
            for r in rows
        ]

    # channels ---------------------------------------------------------------

    def channel_state(self, channel: ChannelRef) -> ChannelState:
        rows = list(
            self.db.query(f"SELECT * FROM alert_channels WHERE {_CHANNEL_MATCH}", _key(channel))
        )
        pending = self.db.count_where(
            "alert_outbox", f"{_CHANNEL_MATCH} AND status = 'pending'", _key(channel)
        )
        undeliverable = self.db.count_where(
            "alert_outbox",
            f"{_CHANNEL_MATCH} AND status = 'cancelled' AND last_error LIKE 'rejected%'",
            _key(channel),
        )
        if not rows:
            return ChannelState(channel, 0, None, None, pending, undeliverable)
        row = rows[0]
        return ChannelState(
            channel,
            row["gone_count"],
            _time(row["paused_at"]),
            row["paused_reason"],
            pending,
            undeliverable,
        )

    def paused_channels(self, platform: str, workspace: str) -> list[ChannelState]:
        rows = self.db.query(
            "SELECT platform, workspace, channel FROM alert_channels "
            "WHERE platform = ? AND workspace = ? AND paused_at IS NOT NULL ORDER BY paused_at",
            [platform, workspace],
        )
        return [
            self.channel_state(ChannelRef(r["platform"], r["workspace"], r["channel"]))
            for r in rows
        ]

    def record_gone(
        self, channel: ChannelRef, reason: str, now: datetime, pause_after: int
    ) -> ChannelState:
        """Count one more 'channel gone' answer; pause the channel at `pause_after` in a row."""
        self.db.execute(
            "INSERT INTO alert_channels (platform, workspace, channel, gone_count) "
            "VALUES (?, ?, ?, 1) ON CONFLICT (platform, workspace, channel) "
            "DO UPDATE SET gone_count = alert_channels.gone_count + 1",
            _key(channel),
        )
        state = self.channel_state(channel)
        if state.gone_count >= pause_after and not state.paused:
            self.db.execute(
                "UPDATE alert_channels SET paused_at = ?, paused_reason = ? "
                f"WHERE {_CHANNEL_MATCH}",
                [utc_text(now), reason, *_key(channel)],
            )
            state = self.channel_state(channel)
        return state

    def resume_channel(self, channel: ChannelRef) -> bool:
        cursor = self.db.execute(
            "UPDATE alert_channels SET gone_count = 0, paused_at = NULL, paused_reason = NULL "
            f"WHERE {_CHANNEL_MATCH} AND (gone_count > 0 OR paused_at IS NOT NULL)",
            _key(channel),
        )
        return cursor.rowcount > 0

    def pause_workspace(self, platform: str, workspace: str, reason: str, now: datetime) -> int:
        """Pause each channel of the workspace with a live subscription or an alert state that
        is not paused yet (the app lost its token there): its alerts wait, none is dropped."""
        cursor = self.db.execute(
            "INSERT INTO alert_channels (platform, workspace, channel, paused_at, paused_reason) "
            "SELECT platform, workspace, channel, ?, ? FROM ("
            "  SELECT platform, workspace, channel FROM subscriptions"
            "  WHERE platform = ? AND workspace = ? AND removed_at IS NULL"
            "  UNION SELECT platform, workspace, channel FROM alert_channels"
            "  WHERE platform = ? AND workspace = ?) AS seen WHERE TRUE "
            "ON CONFLICT (platform, workspace, channel) DO UPDATE SET "
            "paused_at = excluded.paused_at, paused_reason = excluded.paused_reason "
            "WHERE alert_channels.paused_at IS NULL",
            [utc_text(now), reason, platform, workspace, platform, workspace],
        )
        return cursor.rowcount

    def resume_workspace(self, platform: str, workspace: str, reason: str) -> int:
        """Resume the workspace's channels paused for `reason`, and only those (a channel
        paused because it was deleted stays paused)."""
        cursor = self.db.execute(
            "UPDATE alert_channels SET gone_count = 0, paused_at = NULL, paused_reason = NULL "
            "WHERE platform = ? AND workspace = ? AND paused_reason = ?",
            [platform, workspace, reason],
        )
        return cursor.rowcount

    # events and outbox ------------------------------------------------------

    def add_event(
        self,
        *,
        kind: str,
        tracker_id: int | None,
        declaration_id: int | None,
        summary: str,
        reply_json: str,
        milestone_json: str | None,
        recorded_at: datetime,
        digest_key: str | None = None,
    ) -> int | None:
        """The event's wording, written once; None if this digest was already written."""
        row = self.db.execute(
            "INSERT INTO alert_events (kind, tracker_id, declaration_id, summary, reply, "
            "milestone_reply, digest_key, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [
                kind,
                tracker_id,
                declaration_id,
                summary,
                reply_json,
                milestone_json,
                digest_key,
                utc_text(recorded_at),
            ],
        ).fetchone()
        return int(row[0]) if row else None

    def digest_written(self, digest_key: str) -> bool:
        return bool(self.db.count_where("alert_events", "digest_key = ?", [digest_key]))

    def last_digest_end(self, sub_id: int) -> datetime | None:
        """Where the subscription's latest written digest stopped counting changes (the next
        one starts there), or None if it never had one. Keys are 'id:YYYY-MM-DD', so a range
        on the unique index finds them; a digest written before 'until' was kept in its data
        ends when it was written."""
        row = self.db.execute(
            "SELECT reply, recorded_at FROM alert_events "
            "WHERE digest_key >= ? AND digest_key < ? ORDER BY digest_key DESC LIMIT 1",
            [f"{sub_id}:", f"{sub_id};"],
        ).fetchone()
        if row is None:
            return None
        # The JSON is read here rather than by the engine: its JSON functions differ.
        data = json.loads(row[0]).get("data")
        until = data.get("until") if isinstance(data, dict) else None
        return datetime.fromisoformat(until if isinstance(until, str) and until else row[1])

    def add_outbox_rows(
        self, event_id: int, rows: Iterable[tuple[Subscription, Variant]], now: datetime
    ) -> int:
        rows = list(rows)
        self.add_lease_rows(sub.channel for sub, _ in rows)
        return self.db.executemany(
            "INSERT INTO alert_outbox (event_id, subscription_id, platform, workspace, "
            "channel, variant, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (event_id, sub.id, *_key(sub.channel), str(variant), utc_text(now))
                for sub, variant in rows
            ],
        )

    def events_between(
        self, tracker_ids: list[int] | None, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """Changes recorded in [start, end), oldest first (what a digest lists)."""
        where = "kind NOT IN ('digest', 'suggestion') AND recorded_at >= ? AND recorded_at < ?"
        params: list[Any] = [utc_text(start), utc_text(end)]
        if tracker_ids is not None:
            where += f" AND tracker_id IN ({', '.join('?' for _ in tracker_ids)})"
            params += tracker_ids
        return list(
            self.db.query(
                "SELECT id, kind, tracker_id, summary, recorded_at FROM alert_events "
                f"WHERE {where} ORDER BY recorded_at, id",
                params,
            )
        )

    def due_heads(self) -> list[PendingAlert]:
        """Each unpaused channel's oldest undelivered row, in one query (a fan-out's start)."""
        rows = self.db.query(
            f"SELECT {_PENDING_COLUMNS} FROM alert_outbox o "
            "JOIN alert_events e ON e.id = o.event_id WHERE o.id IN ("
            "  SELECT min(id) FROM alert_outbox WHERE status = 'pending'"
            "  GROUP BY platform, workspace, channel"
            ") AND NOT EXISTS (SELECT 1 FROM alert_channels c "
            "WHERE c.platform = o.platform AND c.workspace = o.workspace "
            "AND c.channel = o.channel AND c.paused_at IS NOT NULL) ORDER BY o.id"
        )
        return [_pending(row) for row in rows]

    def next_pending(self, channel: ChannelRef) -> PendingAlert | None:
        """The channel's oldest undelivered row: rows go out strictly in the order written."""
        paused = self.db.execute(
            f"SELECT 1 FROM alert_channels WHERE {_CHANNEL_MATCH} AND paused_at IS NOT NULL",
            _key(channel),
        ).fetchone()
        if paused:
            return None
        rows = list(
            self.db.query(
                f"SELECT {_PENDING_COLUMNS} FROM alert_outbox o "
                "JOIN alert_events e ON e.id = o.event_id "
                "WHERE o.platform = ? AND o.workspace = ? AND o.channel = ? "
                "AND o.status = 'pending' ORDER BY o.id LIMIT 1",
                _key(channel),
            )
        )
        return _pending(rows[0]) if rows else None

    def mark_sent(self, row_id: int, message_id: str, now: datetime) -> bool:
        """Only after the platform accepted it; a channel that delivers is no longer 'gone'."""
        cursor = self.db.execute(
            "UPDATE alert_outbox SET status = 'sent', message_id = ?, sent_at = ?, "
            "attempts = attempts + 1, last_attempt_at = ? WHERE id = ? AND status = 'pending'",
            [message_id, utc_text(now), utc_text(now), row_id],
        )
        row = self.db.execute(
            "SELECT platform, workspace, channel FROM alert_outbox WHERE id = ?", [row_id]
        ).fetchone()
        if row is not None:
            self.db.execute(
                f"UPDATE alert_channels SET gone_count = 0 WHERE {_CHANNEL_MATCH} "
                "AND gone_count > 0 AND paused_at IS NULL",
                list(row),
            )
        return cursor.rowcount > 0

    def set_aside(self, row_id: int, error: str, now: datetime) -> bool:
        """A row the platform refused for good: cancelled, never retried; `error` starts with
        'rejected' (what `undeliverable` counts)."""
        cursor = self.db.execute(
            "UPDATE alert_outbox SET status = 'cancelled', last_error = ?, "
            "attempts = attempts + 1, last_attempt_at = ? WHERE id = ? AND status = 'pending'",
            [error[:500], utc_text(now), row_id],
        )
        return cursor.rowcount > 0

    def record_failure(self, row_id: int, error: str, now: datetime) -> None:
        self.db.execute(
            "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ? "
            "WHERE id = ?",
            [error[:500], utc_text(now), row_id],
        )

    def outbox(self) -> list[dict[str, Any]]:
        """Every row, oldest first (tests, `tallybot dispatch` reports)."""
        return list(self.db.query("SELECT * FROM alert_outbox ORDER BY id"))

    def outbox_counts(self) -> dict[str, int]:
        return {
            row[0]: row[1]
            for row in self.db.execute("SELECT status, count(*) FROM alert_outbox GROUP BY status")
        }
