"""Where alerts go, and the contract every platform's sender keeps.

Each adapter (Slack, Discord, console) implements `AlertSender`; the alert dispatcher only sees
these types, so the core never imports an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.replies import Reply


@dataclass(frozen=True)
class ChannelRef:
    platform: str
    """'slack', 'discord' or 'console'."""
    workspace: str
    """Slack team id, Discord guild id, 'local' for the console."""
    channel: str
    """Slack channel id, Discord channel id, 'console'."""


class DeliveryError(Exception):
    """A send failed; the subclass says what the dispatcher should do about it."""


class RetryLater(DeliveryError):
    """Rate limited (HTTP 429): try this channel again after `retry_after` seconds."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientFailure(DeliveryError):
    """5xx, timeout, connection error: back off and try again."""


class ChannelGone(DeliveryError):
    """403/404, channel_not_found, not_in_channel, is_archived: pause after repeated failures."""


class Rejected(DeliveryError):
    """The platform refused this message for good (HTTP 400, invalid_blocks, msg_too_long...):
    don't retry it; set it aside so the channel's next alerts still go out."""


class AlertSender(Protocol):
    platform: str

    async def send(self, channel: ChannelRef, reply: Reply, key: str | None = None) -> str:
        """Post `reply` to `channel`; return the platform's message id once it has accepted it.

        `key` is the same for every attempt at one alert: a platform that can deduplicate on it
        (Discord's enforce_nonce) answers a repeat with the first message instead of a second.

        Raises RetryLater, TransientFailure, ChannelGone or Rejected; never pings anyone
        (no @everyone/@here/<!channel>, no user mentions)."""
        ...


@runtime_checkable
class Messenger(Protocol):
    """Tells one person something directly (a Slack app message, a Discord DM, a console line):
    a suggester learns what became of their suggestion. Best effort: never pings anyone."""

    platform: str

    async def tell(self, workspace: str, user_id: str, reply: Reply) -> None: ...
