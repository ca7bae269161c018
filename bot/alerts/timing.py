"""Digest times: validating `at=HH:MM` and `tz=Area/City`, and when a daily digest last fell due."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UserError

_HHMM = re.compile(r"^([01]?\d|2[0-3])[:h.]([0-5]\d)$")


def parse_hhmm(text: str) -> str:
    """'9:00', '09:00', '21h30' -> 'HH:MM' (24-hour)."""
    match = _HHMM.match(text.strip().lower())
    if not match:
        raise UserError(f"at='{text}' is not a time of day: write HH:MM, 24-hour, e.g. at=09:00.")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_tz(text: str) -> str:
    """The canonical IANA name ('europe/brussels' -> 'Europe/Brussels'), or a clear error."""
    key = text.strip()
    canonical = _zone_names().get(key.lower()) or ("UTC" if key.upper() == "UTC" else None)
    if canonical:
        try:
            ZoneInfo(canonical)
            return canonical
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(key, sorted(_zone_names().values()), n=1, cutoff=0.6)
    hint = f": did you mean {close[0]}?" if close else ": use an IANA name like Europe/Brussels."
    raise UserError(f"unknown time zone '{text}'{hint}")


def last_due(digest_at: str, tz: str, now: datetime) -> datetime:
    """The latest daily fire time at or before `now` (aware, in the subscription's zone)."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    hour, minute = (int(part) for part in digest_at.split(":"))
    due = datetime.combine(local_now.date(), time(hour, minute), tzinfo=zone)
    if due > local_now:
        due = datetime.combine(local_now.date() - timedelta(days=1), time(hour, minute), zone)
    return due


def previous_due(due: datetime) -> datetime:
    """The same wall-clock time the day before (a digest covers the time since the last one)."""
    return datetime.combine(due.date() - timedelta(days=1), due.timetz())


def to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
