"""What a read feed turns into, in one transaction: its new items become suggestions (through
`propose`, never declarations), they are marked seen, and the feed's reading state is noted
(a 304 or an error too, with the backoff)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain import TrackerStatus
from bot.errors import UserError
from bot.feeds.matching import read_item
from bot.feeds.model import Feed, next_after_failure, next_after_success
from bot.feeds.text import MAX_TITLE, cap, plain_text, quote_of
from bot.storage import Transaction
from bot.suggestions.model import FEED_PREFIX, NewSuggestion
from bot.suggestions.propose import propose

log = logging.getLogger(__name__)

MAX_ERROR = 300
FORGET_AFTER = timedelta(days=90)
"""Seen items no longer in the feed are forgotten after this long (feeds drop old items long
before; one that came back after that would be suggested again, and merge if still pending)."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as plain text (markup already stripped)."""

    key: str
    """What identifies it across reads: its id (guid), else its link."""
    link: str | None
    title: str
    summary: str
    published: date | None = None


@dataclass(frozen=True)
class Fetched:
    """What the server answered: 304 (nothing new), or 200 with the parsed items."""

    status: int
    etag: str | None = None
    modified: str | None = None
    title: str | None = None
    items: tuple[FeedItem, ...] = ()
    note: str | None = None
    """'read leniently: ...' when the document was not well-formed but gave items."""


@dataclass(frozen=True)
class Intake:
    new_items: int
    suggested: int
    skipped: int
    """New items that named a member but could not be suggested (see the log)."""
    status: str


def take_in(tx: Transaction, feed_id: int, fetched: Fetched, now: datetime) -> Intake | None:
    """Record one successful read. None when the feed was removed meanwhile."""
    feeds = tx.feeds
    feed = feeds.feed(feed_id)
    if feed is None:
        return None
    title = cap(plain_text(fetched.title), MAX_TITLE) or None
    if fetched.status == 304:
        intake = Intake(0, 0, 0, "304: not modified")
    else:
        intake = _suggest(tx, feed, title, fetched, now)
    feeds.record_read(
        feed_id,
        now=now,
        status=intake.status,
        etag=fetched.etag,
        modified=fetched.modified,
        title=title,
        next_try_at=next_after_success(feed.interval, now),
        suggested=intake.suggested,
    )
    return intake


def note_failure(tx: Transaction, feed_id: int, error: str, now: datetime) -> Feed | None:
    """An error: counted, shown in `feeds list`, and the next try backed off."""
    feed = tx.feeds.feed(feed_id)
    if feed is None:
        return None
    tx.feeds.record_failure(
        feed_id,
        now=now,
        error=cap(plain_text(error, MAX_ERROR), MAX_ERROR),
        next_try_at=next_after_failure(feed.interval, feed.failures + 1, now),
    )
    return tx.feeds.feed(feed_id)


def _suggest(
    tx: Transaction, feed: Feed, title: str | None, fetched: Fetched, now: datetime
) -> Intake:
    keys = [item.key for item in fetched.items]
    unseen = set(tx.feeds.unseen(feed.id, keys))
    # Oldest first: by date, else feeds' usual newest-first order reversed.
    new = sorted(
        (item for item in reversed(fetched.items) if item.key in unseen),
        key=lambda item: item.published or date.max,
    )
    tracker = tx.records.tracker_by_id(feed.tracker_id)
    suggested = skipped = 0
    if tracker.status is TrackerStatus.OPEN:
        body = tx.records.body(tracker.body)
        by = FEED_PREFIX + cap(title or feed.name, MAX_TITLE)
        for item in new:
            day = min(item.published or now.date(), now.date())
            reading = read_item(item.title, item.summary, tracker, body, day, feed.keywords)
            for found in reading.suggestions:
                if not item.link:
                    skipped += 1
                    continue
                try:
                    propose(
                        tx,
                        NewSuggestion(
                            community_id=feed.community_id,
                            tracker_id=tracker.id,
                            member=found.member,
                            stance=found.stance,
                            target=found.target,
                            source=item.link,
                            quote=quote_of(item.title, item.summary),
                            made_on=day,
                            suggested_by=by,
                            explanation=found.explanation,
                        ),
                        now,
                    )
                    suggested += 1
                except UserError as exc:
                    skipped += 1
                    log.info("feed %s: item %s not suggested: %s", feed.id, item.key, exc)
    tx.feeds.mark_seen(feed.id, [item.key for item in new], now)
    tx.feeds.forget_seen(feed.id, keys, now - FORGET_AFTER)
    status = f"200: {_count(len(new), 'new item')}, {_count(suggested, 'suggestion')}"
    if tracker.status is not TrackerStatus.OPEN:
        status += f" ({tracker.slug} is {tracker.status})"
    if skipped:
        status += f", {skipped} not suggestable (no link, or out of the tracker's dates)"
    if fetched.note:
        status += f"; {fetched.note}"
    return Intake(len(new), suggested, skipped, cap(status, MAX_ERROR))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
