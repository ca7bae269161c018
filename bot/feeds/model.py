"""A configured news feed and the rules for reading it politely: its interval, and backoff after
errors (doubling from the interval up to a day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

DEFAULT_INTERVAL = timedelta(minutes=30)
MIN_INTERVAL = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=24)
MAX_KEYWORDS = 20
MAX_FEEDS = 50
"""Feeds per community: each is read on a schedule, so there is a ceiling."""


@dataclass(frozen=True)
class Feed:
    id: int
    community_id: int
    url: str
    tracker_id: int
    keywords: tuple[str, ...]
    interval: timedelta
    added_by: str
    added_at: datetime
    title: str | None = None
    """The feed's own title, learned when it is first read."""
    etag: str | None = None
    modified: str | None = None
    """The Last-Modified the server sent, given back as If-Modified-Since."""
    last_checked_at: datetime | None = None
    last_read_at: datetime | None = None
    """The last time the server answered (200 or 304)."""
    last_status: str | None = None
    """'200: 3 new items, 1 suggestion', '304: not modified', 'error: ...'."""
    failures: int = 0
    """Errors in a row: the backoff doubles with each."""
    last_error: str | None = None
    next_try_at: datetime | None = None
    suggested: int = 0
    """Suggestions it has made, all time."""

    @property
    def name(self) -> str:
        """How a suggestion credits it: its title, else its address as shown in public."""
        return self.title or shown_address(self.url)

    def due(self, now: datetime) -> bool:
        return self.next_try_at is None or self.next_try_at <= now


def next_after_success(interval: timedelta, now: datetime) -> datetime:
    return now + interval


def next_after_failure(interval: timedelta, failures: int, now: datetime) -> datetime:
    """Exponential backoff: the interval times 2^failures (failures counts this one), at most
    a day, so a feed that is down is asked less and less often but never forgotten."""
    delay = interval * (1 << min(failures, 16))
    return now + min(delay, max(MAX_BACKOFF, interval))


def shown_address(url: str) -> str:
    """A feed's address without what may be a secret: a private feed's token often rides in
    the query (?key=...) or as user:password@. The name lands in public history
    ('suggested by feed ...'), so only scheme, host and path are shown."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"
