"""What the alert tables hold, as values: subscriptions, channel state, alerts awaiting delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.alerts.channels import ChannelRef


class Mode(StrEnum):
    EVERY = "every"
    """One alert per new declaration, change of position or retraction."""
    MILESTONES = "milestones"
    """Only when the outcome changes."""
    DIGEST = "digest"
    """One summary a day at the channel's time."""
    SUGGESTIONS = "suggestions"
    """For a moderators' channel: every change, and each new suggestion to review."""


class Variant(StrEnum):
    """Which wording an outbox row delivers."""

    EVERY = "every"
    MILESTONE = "milestone"
    DIGEST = "digest"


DEFAULT_DIGEST_AT = "09:00"
DEFAULT_TZ = "UTC"


@dataclass(frozen=True)
class Subscription:
    id: int
    channel: ChannelRef
    tracker_id: int | None
    """None: every tracker ('all')."""
    tracker_slug: str | None
    mode: Mode
    digest_at: str | None
    tz: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    cards: bool = False
    """Milestone alerts carry the tally card (a PNG)."""
    community_id: int | None = None
    """The subscribing channel's community: 'all' means all of its trackers."""

    @property
    def scope(self) -> str:
        return self.tracker_slug or "all"

    def describe(self) -> str:
        """'every change', 'milestones only', 'a daily digest at 09:00 (Europe/Brussels)'."""
        if self.mode is Mode.EVERY:
            return "every change"
        if self.mode is Mode.SUGGESTIONS:
            return "every change and each new suggestion"
        if self.mode is Mode.MILESTONES:
            return "milestones only, with the tally card" if self.cards else "milestones only"
        return f"a daily digest at {self.digest_at} ({self.tz})"


@dataclass(frozen=True)
class ChannelState:
    channel: ChannelRef
    gone_count: int
    paused_at: datetime | None
    paused_reason: str | None
    pending: int = 0
    undeliverable: int = 0
    """Alerts the platform refused for good, set aside (cancelled) so later ones could go."""

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


@dataclass(frozen=True)
class PendingAlert:
    """The oldest undelivered row of a channel, with the wording it carries (Reply as JSON)."""

    id: int
    event_id: int
    subscription_id: int
    channel: ChannelRef
    variant: Variant
    reply_json: str
    attempts: int
    tracker_id: int | None = None
    recorded_at: datetime | None = None
    """When the change was recorded: a milestone's card shows the tally of that day."""
    cards: bool = False


@dataclass(frozen=True)
class ChannelClaim:
    """A channel this deliverer now holds the lease of (no other process sends to it until
    the lease is released or expires), with the pace the previous holder left (pacing.py)."""

    channel: ChannelRef
    pace: str | None = None
    head: PendingAlert | None = None
    """The channel's oldest due row, read in the claim's transaction (saves a query)."""
