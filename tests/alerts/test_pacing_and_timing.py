"""Send slots under a rate window, and digest times across zones and clock changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.alerts.pacing import RateWindow
from bot.alerts.timing import last_due, parse_hhmm, resolve_tz
from bot.errors import UserError


def test_a_window_never_allows_more_than_its_count() -> None:
    window = RateWindow(50, 1.0, margin=1.05)
    slots = [100.0 + window.reserve(100.0) for _ in range(500)]
    assert slots == sorted(slots)
    for i in range(len(slots) - 50):
        assert slots[i + 50] - slots[i] >= 1.05 - 1e-9  # any 50 later sends: a window apart
    assert slots[-1] - slots[0] == pytest.approx(9 * 1.05 + 49 * 0.01, abs=1e-6)


def test_a_429_holds_the_channel_for_as_long_as_asked() -> None:
    window = RateWindow(1, 1.0)
    assert window.reserve(10.0) == 0.0
    window.hold(10.1, 30.0)
    assert window.reserve(10.2) == pytest.approx(29.9)


def test_times_and_zones_are_read_leniently_and_refused_clearly() -> None:
    assert parse_hhmm("9:05") == "09:05"
    assert parse_hhmm("21h30") == "21:30"
    assert resolve_tz("europe/brussels") == "Europe/Brussels"
    assert resolve_tz("utc") == "UTC"
    with pytest.raises(UserError, match="did you mean America/New_York"):
        resolve_tz("America/NewYork")
    with pytest.raises(UserError, match="not a time of day"):
        parse_hhmm("9pm")


def test_the_last_digest_time_follows_the_local_clock_across_dst() -> None:
    # Brussels moves from UTC+2 to UTC+1 on 2026-10-25.
    before = last_due("08:00", "Europe/Brussels", datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    after = last_due("08:00", "Europe/Brussels", datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    assert before.astimezone(UTC) == datetime(2026, 10, 24, 6, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    early = last_due("08:00", "Europe/Brussels", datetime(2026, 10, 26, 6, 59, tzinfo=UTC))
    assert early.date().isoformat() == "2026-10-25"  # not yet today's: yesterday's
