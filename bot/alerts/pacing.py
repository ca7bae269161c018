"""Pacing sends under the platforms' rate limits, so alerts wait here rather than earn 429s.

A `RateWindow` allows `count` sends in any `per_seconds` window and hands out send slots in the
order asked, without a lock: the slot is reserved before the first await, on the single event
loop. A burst is spread over half the window (fifty simultaneous requests reach the platform in
any order and spread; spaced ones arrive as sent), and a small margin on the window absorbs the
remaining jitter between our clock and the platform's.
"""

from __future__ import annotations

import asyncio
import json
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

    def to_pace(self, now: float, wall: float) -> str:
        """The window as text another process can resume from: its reserved send times and
        any hold, on the wall clock (`now` is this loop's clock at wall-clock time `wall`)."""
        shift = wall - now
        hold = self._not_before + shift if self._not_before > now else None
        return json.dumps({"sends": [round(t + shift, 3) for t in self._slots], "hold": hold})

    def absorb(self, pace: str | None, now: float, wall: float) -> None:
        """Take in the sends and hold another holder of the channel left (`to_pace`), so this
        process sends no sooner than the platform's window allows after them."""
        if not pace:
            return
        try:
            data = json.loads(pace)
            shift = now - wall
            sends = [float(t) + shift for t in data.get("sends", [])]
            hold = data.get("hold")
            hold_at = float(hold) + shift if hold is not None else None
        except (ValueError, TypeError, AttributeError):
            return  # unreadable pace: the platform's 429 still protects the channel
        self._slots = deque(sorted([*self._slots, *sends])[-self.count :], maxlen=self.count)
        if hold_at is not None:
            self._not_before = max(self._not_before, hold_at)

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
