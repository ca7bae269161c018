"""Leases on alert channels: one deliverer per channel across every process on the database.

A channel with alerts has a row in `alert_leases` (written with its outbox rows). A deliverer
claims free or expired rows for itself until `lease_until`, renews its leases while it works
and releases a channel once it has nothing due; a holder that died (SIGKILL, power loss) stops
renewing, and its channels are claimed by another deliverer once the lease ran out.

The one difference between the engines is how a claim keeps two claimers apart: on SQLite the
write transaction already excludes every other writer; on PostgreSQL the candidate rows are
read `FOR UPDATE SKIP LOCKED` (`Db.engine`), so claimers never wait on each other.
The update that takes a row repeats the "free or expired" test anyway: a claim can never take
a live lease, whatever the isolation level.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from bot.alerts.channels import ChannelRef
from bot.alerts.model import ChannelClaim, PendingAlert
from store.sql import Db

_DUE = (
    "EXISTS (SELECT 1 FROM alert_outbox o WHERE o.platform = l.platform "
    "AND o.workspace = l.workspace AND o.channel = l.channel AND o.status = 'pending') "
    "AND NOT EXISTS (SELECT 1 FROM alert_channels c WHERE c.platform = l.platform "
    "AND c.workspace = l.workspace AND c.channel = l.channel AND c.paused_at IS NOT NULL)"
)
"""The channel has an undelivered row and is not paused."""
_FREE = "(l.holder IS NULL OR l.lease_until < ?)"


def stamp(moment: datetime) -> str:
    """Fixed-width ISO UTC, so lease times compare as text on both engines."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: lease times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _in(values: Collection[str]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


class ChannelLeases:
    """The lease queries of bot.storage.Alerts, on the alert repository's connection."""

    db: Db

    def next_pending(self, channel: ChannelRef) -> PendingAlert | None:
        raise NotImplementedError  # the alert repository's: a claim hands out each head

    def add_lease_rows(self, channels: Iterable[ChannelRef]) -> None:
        """A lease row for each channel that gets alerts (kept: it also carries the pace)."""
        self.db.executemany(
            "INSERT INTO alert_leases (platform, workspace, channel) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, workspace, channel) DO NOTHING",
            [(c.platform, c.workspace, c.channel) for c in set(channels)],
        )

    def adopt_channels(self) -> int:
        """Lease rows for pending rows that have none (written by an older version, or copied
        in): returns how many were added."""
        cursor = self.db.execute(
            "INSERT INTO alert_leases (platform, workspace, channel) "
            "SELECT DISTINCT platform, workspace, channel FROM alert_outbox "
            "WHERE status = 'pending' "
            "ON CONFLICT (platform, workspace, channel) DO NOTHING"
        )
        return max(cursor.rowcount, 0)

    def next_claim_at(
        self, holder: str, platforms: Collection[str], now: datetime
    ) -> datetime | None:
        """When this holder could next claim a channel with due alerts: `now` or earlier if one
        is free now, the earliest expiry of another holder's lease, or None if nothing is due."""
        row = self.db.execute(
            "SELECT min(CASE WHEN l.holder IS NULL OR l.lease_until < ? THEN ? "
            "ELSE l.lease_until END) FROM alert_leases l "
            f"WHERE l.platform IN ({_in(platforms)}) "
            f"AND (l.holder IS NULL OR l.holder <> ?) AND {_DUE}",
            [stamp(now), stamp(now), *platforms, holder],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def claim_channels(
        self,
        holder: str,
        platforms: Collection[str],
        now: datetime,
        until: datetime,
        limit: int,
        skip: Collection[ChannelRef] = (),
    ) -> list[ChannelClaim]:
        """Take up to `limit` free or expired channels with due alerts, oldest alert first."""
        if limit <= 0 or not platforms:
            return []
        # The one place the engines differ: SQLite's writer already holds the whole file.
        lock = " FOR UPDATE OF l SKIP LOCKED" if self.db.engine == "postgres" else ""
        candidates = self.db.execute(
            "SELECT l.platform, l.workspace, l.channel, l.pace FROM alert_leases l "
            f"WHERE l.platform IN ({_in(platforms)}) AND {_FREE} AND {_DUE} "
            "ORDER BY (SELECT min(o.id) FROM alert_outbox o WHERE o.platform = l.platform "
            "AND o.workspace = l.workspace AND o.channel = l.channel AND o.status = 'pending') "
            f"LIMIT ?{lock}",
            [*platforms, stamp(now), limit + len(skip)],
        ).fetchall()
        claimed: list[ChannelClaim] = []
        for platform, workspace, channel, pace in candidates:
            ref = ChannelRef(platform, workspace, channel)
            if ref in skip or len(claimed) >= limit:
                continue
            taken = self.db.execute(
                "UPDATE alert_leases SET holder = ?, lease_until = ? "
                "WHERE platform = ? AND workspace = ? AND channel = ? "
                "AND (holder IS NULL OR lease_until < ?)",
                [holder, stamp(until), platform, workspace, channel, stamp(now)],
            )
            if taken.rowcount == 1:
                claimed.append(ChannelClaim(ref, pace, self.next_pending(ref)))
        return claimed

    def renew_leases(self, holder: str, now: datetime, until: datetime) -> list[ChannelRef]:
        """Extend every lease `holder` still has at `now`; returns those channels. A lease
        that ran out is not renewed, even if nobody has claimed it yet: another process may be
        claiming it at this moment, and the holder must stop rather than race it."""
        self.db.execute(
            "UPDATE alert_leases SET lease_until = ? WHERE holder = ? AND lease_until > ?",
            [stamp(until), holder, stamp(now)],
        )
        return [
            ChannelRef(*row)
            for row in self.db.execute(
                "SELECT platform, workspace, channel FROM alert_leases "
                "WHERE holder = ? AND lease_until = ?",
                [holder, stamp(until)],
            )
        ]

    def release_channel(
        self, holder: str, channel: ChannelRef, pace: str | None, *, drained_only: bool = True
    ) -> bool:
        """Give the channel up, leaving its pace for the next holder. With `drained_only`, a
        channel that has a due row again (written since the holder last looked) is kept:
        returns False and the holder carries on."""
        key = [channel.platform, channel.workspace, channel.channel]
        if (
            drained_only
            and self.db.execute(
                f"SELECT 1 FROM alert_leases l WHERE l.platform = ? AND l.workspace = ? "
                f"AND l.channel = ? AND {_DUE}",
                key,
            ).fetchone()
        ):
            return False
        self.db.execute(
            "UPDATE alert_leases SET holder = NULL, lease_until = NULL, "
            "pace = COALESCE(?, pace) "
            "WHERE platform = ? AND workspace = ? AND channel = ? AND holder = ?",
            [pace, *key, holder],
        )
        return True

    def note_pace(self, holder: str, channel: ChannelRef, pace: str) -> None:
        """The channel's recent sends, kept while the holder works it (a takeover after a
        crash then keeps the platform's per-channel rate too)."""
        self.db.execute(
            "UPDATE alert_leases SET pace = ? "
            "WHERE platform = ? AND workspace = ? AND channel = ? AND holder = ?",
            [pace, channel.platform, channel.workspace, channel.channel, holder],
        )
