"""What the public pages read from the store, in one read-only unit of work each.

Only these functions touch the repository, so the pages follow the store's contract from one
place. A tracker that is not public reads as missing: callers answer 404 without telling a
private tracker from an unknown slug.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from adapters.web.steps import Step, replay
from bot.domain import Declaration, Tracker, TrackerVisibility
from bot.members import Body
from bot.tally import Tally, compute_tally, reading_day
from bot.timeline import PositionRow

if TYPE_CHECKING:
    from bot.storage import Records

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""The last change of a tracker with nothing recorded (never happens: opening is an event)."""


@dataclass(frozen=True)
class Meta:
    """What a conditional request is answered from: the tracker and its last change."""

    tracker: Tracker
    last_change: datetime
    revision: tuple[int, ...] = ()
    """Rows of each kind recorded: tells two changes apart even when a clock gives both the
    same time (tests' clocks, a clock stepped back)."""
    path: str = ""
    """The tracker's own address, /t/COMMUNITY/SLUG: two communities may both have a public
    tracker called SLUG, and only this address tells them apart."""


@dataclass(frozen=True)
class TrackerPage:
    tally: Tally
    last_change: datetime
    today: date
    steps: tuple[Step, ...]
    declarations: tuple[Declaration, ...]
    """Made on or before the tally's day, newest first, retracted ones included."""
    events: tuple[dict[str, Any], ...]
    """Tracker events (edits, withdrawals, closes) on or before the tally's day, oldest first."""


@dataclass(frozen=True)
class Listing:
    """One public tracker on the front page."""

    tally: Tally
    last_change: datetime
    revision: tuple[int, ...]
    path: str


def change_stamp(repo: Records) -> tuple[int, int]:
    return repo.change_stamp()


def public_meta(repo: Records, slug: str) -> Meta | None:
    """`slug` is SLUG or COMMUNITY/SLUG (bot.tenancy's qualified name)."""
    tracker = repo.tracker_by_slug(slug)
    if tracker is None or tracker.visibility is not TrackerVisibility.PUBLIC:
        return None
    return Meta(
        tracker, last_change(repo, tracker.id), revision(repo, tracker.id), page_path(repo, tracker)
    )


def page_path(repo: Records, tracker: Tracker) -> str:
    """/t/COMMUNITY/SLUG, or /t/SLUG for a tracker no community owns."""
    community = repo.community_name_of(tracker)
    return f"/t/{community}/{tracker.slug}" if community else f"/t/{tracker.slug}"


def last_change(repo: Records, tracker_id: int) -> datetime:
    return repo.last_change(tracker_id) or EPOCH


def revision(repo: Records, tracker_id: int) -> tuple[int, ...]:
    return repo.revision(tracker_id)


def tally_on(repo: Records, tracker: Tracker, day: date) -> Tally:
    return compute_tally(tracker, repo.body(tracker.body), day, repo.positions(tracker, day))


@dataclass(frozen=True)
class Record:
    """A tracker's declarations and its whole course: read once per change of the tracker,
    then every date of the picker is a filter of it (not another pass over the history)."""

    declarations: tuple[Declaration, ...]
    """Newest first, retracted ones included."""
    steps: tuple[Step, ...]
    """From the opening on; a day's step does not depend on later days, so the steps up to any
    date are a prefix."""


def tracker_record(repo: Records, tracker: Tracker) -> Record:
    everything = tuple(repo.history(tracker.id, limit=-1))
    body = repo.body(tracker.body)
    return Record(everything, tuple(replay(tracker, body, reversed(everything), date.max)))


def tracker_page(
    repo: Records, meta: Meta, as_of: date | None, today: date, record: Record | None = None
) -> TrackerPage:
    """Everything the tracker page shows, as of `as_of` (or today, or the closing day)."""
    tracker = meta.tracker
    day = reading_day(tracker, as_of, today)
    body = repo.body(tracker.body)
    record = record or tracker_record(repo, tracker)
    events = tuple(
        e
        for e in repo.tracker_events(tracker.id) + repo.amendment_events(tracker.id)
        if date.fromisoformat(e["made_on"]) <= day
    )
    return TrackerPage(
        tally=compute_tally(tracker, body, day, repo.positions(tracker, day)),
        last_change=meta.last_change,
        today=today,
        steps=tuple(s for s in record.steps if s.day <= day),
        declarations=tuple(d for d in record.declarations if d.made_on <= day),
        events=events,
    )


def listings(repo: Records, today: date) -> list[Listing]:
    """Every public tracker outside the archive, open ones first, newest opening first."""
    return [
        Listing(
            tally_on(repo, t, reading_day(t, None, today)),
            last_change(repo, t.id),
            revision(repo, t.id),
            page_path(repo, t),
        )
        for t in map(repo.tracker_by_id, public_ids(repo))
    ]


LISTED = 200


def public_ids(repo: Records) -> list[int]:
    """Public trackers outside the archive, in the order of /tally trackers (open first)."""
    return repo.public_tracker_ids(LISTED)


@dataclass(frozen=True)
class TimelineSource:
    """What the timeline picture is built from, read in one transaction; the build and the
    drawing happen later, on the picture thread."""

    tracker: Tracker
    body: Body
    rows: tuple[PositionRow, ...]
    events: tuple[dict[str, Any], ...]


def timeline_source(repo: Records, tracker: Tracker) -> TimelineSource:
    return TimelineSource(
        tracker,
        repo.body(tracker.body),
        tuple(repo.position_rows(tracker.id)),
        tuple(repo.tracker_events(tracker.id)),
    )


def csv_export(repo: Records, tracker: Tracker) -> bytes:
    from bot import exchange

    return exchange.to_csv(repo.tracker_record(tracker.id), repo.body(tracker.body))
