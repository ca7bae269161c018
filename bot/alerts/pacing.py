"""Pacing sends under the platforms' rate limits, so alerts wait here rather than earn 429s.

A `RateWindow` allows `count` sends in any `per_seconds` window and hands out send slots in the
order asked, without a lock: the slot is reserved before the first await, on the single event
loop. A burst is spread over half the window (fifty simultaneous requests reach the platform in
any order and spread; spaced ones arrive as sent), and a small margin on the window absorbs the
remaining jitter between our clock and the platform's.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

JITTER_MARGIN = 1.05


class RateWindow:
    def __init__(self, count: int, per_seconds: float, margin: float = JITTER_MARGIN) -> None:
        self.count = max(count, 1)
        self.per_seconds = per_seconds * margin
        self.spacing = per_seconds / self.count / 2
        self._slots: deque[float] = deque(maxlen=self.count)
        """The last `count` reserved send times (loop clock), oldest first."""
        self._not_before = 0.0

    def reserve(self, now: float) -> float:
        """Reserve the next send slot; returns how long to wait for it."""
        slot = max(now, self._not_before)
        if self._slots:
            slot = max(slot, self._slots[-1] + self.spacing)
        if len(self._slots) == self.count:
            slot = max(slot, self._slots[0] + self.per_seconds)
        self._slots.append(slot)
        return slot - now

    def hold(self, now: float, seconds: float) -> None:
        """The platform asked us to wait (429): no slot before now + seconds."""
        self._not_before = max(self._not_before, now + seconds)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.reserve(loop.time())
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass(frozen=True)
class PlatformLimits:
    channel: tuple[int, float]
    """Messages into one channel: (count, per seconds)."""
    platform: tuple[int, float] | None
    """Messages across the platform for this bot: (count, per seconds); None: no limit."""

    def channel_window(self) -> RateWindow:
        return RateWindow(*self.channel)

    def platform_window(self) -> RateWindow | None:
        return RateWindow(*self.platform) if self.platform else None


DEFAULT_LIMITS: dict[str, PlatformLimits] = {
    # chat.postMessage: about one message per second per channel (Slack's "special" tier),
    # plus a ceiling across the workspace (50/s, as our fake models it).
    "slack": PlatformLimits(channel=(1, 1.0), platform=(50, 1.0)),
    # Discord: 5 messages per 5 s per channel; 50 requests per second per bot.
    "discord": PlatformLimits(channel=(5, 5.0), platform=(50, 1.0)),
    "console": PlatformLimits(channel=(50, 1.0), platform=None),
}
