"""The step series behind the timeline picture: support over time, the threshold, and what
happened along the way. Pure: no I/O, no clock.

One sweep over the declarations in the order `positions` reads them (date, then id), with a
tally computed only on the days something changed (a declaration, a member joining or leaving,
a withdrawal), so 100,000 declarations over five years cost one tally per changed day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.domain import Declaration, Stance, Tracker, TrackerKind
from bot.members import Body
from bot.rules import Outcome
from bot.tally import Tally, closed_on, compute_tally

APPROVED = "Approved"
"""The one series of an approval tracker: members counted towards the rule."""


@dataclass(frozen=True)
class TimelinePoint:
    """Where things stood from `day` until the next point."""

    day: date
    support: Mapping[str, int]
    """Supporters per series (each candidate by name, or APPROVED)."""
    counted: int
    """Supporters counted towards the rule (the leader's, or the approvers)."""
    required: int
    """The threshold on that day (it moves with membership and abstentions)."""
    voters: int
    outcome: Outcome
    leader: str | None
    blocked_by: tuple[str, ...] = ()
    population_share: float | None = None
    """qmv: the share of population behind it (0-1), the rule's second condition."""
    vetoed_by: tuple[str, ...] = ()
    members: frozenset[str] = frozenset()
    """The voters of the day: terms that end and begin on one day keep the count, not them."""


@dataclass(frozen=True)
class TimelineEvent:
    day: date
    kind: str
    """opened, membership, withdrawal, blocked, met, close or reopened."""
    label: str


@dataclass(frozen=True)
class Timeline:
    tracker: Tracker
    start: date
    end: date
    series: tuple[str, ...]
    """Series names, in the tracker's candidate order (or APPROVED)."""
    leader: str | None
    """The series to draw boldest: the leader at the end, else the first."""
    points: tuple[TimelinePoint, ...]
    events: tuple[TimelineEvent, ...]

    @property
    def max_voters(self) -> int:
        return max((p.voters for p in self.points), default=0)


PositionRow = tuple[int, str, str, int | None, str | None, str]
"""A standing declaration as the store reads it for a timeline: id, member, stance,
candidate id, stage, made_on (ISO date)."""

_RECORDED = datetime(1970, 1, 1, tzinfo=UTC)


def build_timeline(
    tracker: Tracker,
    body: Body,
    declarations: Iterable[Declaration],
    events: Sequence[Mapping[str, Any]],
    until: date,
) -> Timeline:
    """The series from the tracker's opening to `until` (capped at its close).

    `declarations` are the tracker's (any order; retracted ones are left out here, as the
    tally leaves them out); `events` are its tracker_events rows (kind, detail, made_on)."""
    rows = sorted(
        (
            (d.id, d.member, str(d.stance), d.candidate_id, d.stage, d.made_on.isoformat())
            for d in declarations
            if d.retraction is None
        ),
        key=lambda r: (r[5], r[0]),
    )
    return build_timeline_from_rows(tracker, body, rows, events, until)


def build_timeline_from_rows(
    tracker: Tracker,
    body: Body,
    rows: Sequence[PositionRow],
    events: Sequence[Mapping[str, Any]],
    until: date,
) -> Timeline:
    """`build_timeline` from the store's plain rows (Repository.position_rows: standing
    declarations ordered by date, then id)."""
    start, end = timeline_span(tracker, until)
    last_day = end.isoformat()
    by_day: dict[str, dict[str, PositionRow]] = {}
    for row in rows:
        if row[5] > last_day:
            break
        by_day.setdefault(row[5], {})[row[1]] = row  # a later one that day wins
    days = sorted(by_day)
    change_days = {start, end}
    change_days.update(d for d in (date.fromisoformat(day) for day in days) if d >= start)
    for member in body.members:
        change_days.update(
            day for day in (member.joined, member.left) if day and start < day <= end
        )
    change_days.update(
        c.withdrawn_on
        for c in tracker.candidates
        if c.withdrawn_on and start < c.withdrawn_on <= end
    )
    latest: dict[str, Declaration] = {}
    points: list[TimelinePoint] = []
    marks: list[TimelineEvent] = []
    cursor = 0
    previous: TimelinePoint | None = None
    for day in sorted(change_days):
        key = day.isoformat()
        while cursor < len(days) and days[cursor] <= key:
            for code, row in by_day[days[cursor]].items():
                latest[code] = _position(tracker.id, row)
            cursor += 1
        point = _point(compute_tally(tracker, body, day, latest), day)
        marks.extend(_changes(previous, point))
        if previous is None or _differs(previous, point):
            points.append(point)
        previous = point
    marks.extend(_recorded(events, start, end))
    marks.sort(key=lambda e: (e.day, _ORDER.get(e.kind, 9)))
    series = _series(tracker)
    last_leader = points[-1].leader if points else None
    return Timeline(
        tracker=tracker,
        start=start,
        end=end,
        series=series,
        leader=last_leader or (series[0] if series else None),
        points=tuple(points),
        events=tuple(marks),
    )


def _position(tracker_id: int, row: PositionRow) -> Declaration:
    """A row as the tally reads it: the position only (who records it does not count)."""
    declaration_id, member, stance, candidate_id, stage, made_on = row
    return Declaration(
        id=declaration_id,
        tracker_id=tracker_id,
        member=member,
        stance=Stance(stance),
        made_on=date.fromisoformat(made_on),
        recorded_by="",
        recorded_at=_RECORDED,
        candidate_id=candidate_id,
        stage=stage,
    )


def timeline_span(tracker: Tracker, until: date) -> tuple[date, date]:
    """From the opening to `until`, or to the close of a closed tracker if that is earlier."""
    closed = closed_on(tracker)
    return tracker.opened, max(min(until, closed) if closed else until, tracker.opened)


_ORDER = {"opened": 0, "membership": 1, "withdrawal": 2, "blocked": 3, "met": 4, "close": 5}


def _series(tracker: Tracker) -> tuple[str, ...]:
    if tracker.kind is TrackerKind.SELECTION:
        return tuple(c.name for c in tracker.candidates)
    return (APPROVED,)


def _point(tally: Tally, day: date) -> TimelinePoint:
    if tally.tracker.kind is TrackerKind.SELECTION:
        support = {s.candidate.name: len(s.supporters) for s in tally.standings}
    else:
        support = {APPROVED: len(tally.approved)}
    return TimelinePoint(
        day=day,
        support=support,
        counted=len(tally.supporters),
        required=tally.verdict.required,
        voters=len(tally.voters),
        outcome=tally.verdict.outcome,
        leader=tally.leader.name if tally.leader else None,
        blocked_by=tally.verdict.blocked_by,
        population_share=tally.verdict.population_share,
        vetoed_by=tally.verdict.vetoed_by,
        members=frozenset(tally.voters_codes()),
    )


def _differs(a: TimelinePoint, b: TimelinePoint) -> bool:
    def key(p: TimelinePoint) -> tuple[object, ...]:
        return (
            p.support,
            p.counted,
            p.required,
            p.voters,
            p.outcome,
            p.leader,
            p.population_share,
            p.members,
        )

    return key(a) != key(b)


def _changes(before: TimelinePoint | None, now: TimelinePoint) -> list[TimelineEvent]:
    """Events the series itself shows: membership changes and the outcome turning (on the
    opening day too: a vote recorded entirely that day is met or vetoed that day)."""
    if before is None:
        return [TimelineEvent(now.day, "opened", "opened"), *_outcome_event(now)]
    found: list[TimelineEvent] = []
    if now.voters != before.voters:
        found.append(TimelineEvent(now.day, "membership", f"{before.voters} -> {now.voters}"))
    elif now.members != before.members and before.members:
        # Terms changing on one day (the UN Security Council each 1 January): same count,
        # other members; those who left no longer count, their votes drop out.
        left, joined = before.members - now.members, now.members - before.members
        found.append(
            TimelineEvent(now.day, "membership", f"terms: {len(left)} left, {len(joined)} joined")
        )
    if now.outcome is not before.outcome or now.vetoed_by != before.vetoed_by:
        found.extend(_outcome_event(now))
    return found


def _outcome_event(point: TimelinePoint) -> list[TimelineEvent]:
    if point.outcome is Outcome.BLOCKED:
        return [TimelineEvent(point.day, "blocked", _blocked(point))]
    if point.outcome is Outcome.REACHED:
        return [TimelineEvent(point.day, "met", "met")]
    return []


def _blocked(point: TimelinePoint) -> str:
    if point.vetoed_by:
        return "vetoed by " + ", ".join(point.vetoed_by)
    codes = point.blocked_by
    if not codes:
        return "blocked"
    shown = ", ".join(codes[:3])
    return f"blocked by {shown}" + (f" +{len(codes) - 3}" if len(codes) > 3 else "")


def _recorded(events: Sequence[Mapping[str, Any]], start: date, end: date) -> list[TimelineEvent]:
    """Withdrawals, closes and reopenings from the tracker's recorded events."""
    found: list[TimelineEvent] = []
    for event in events:
        day = date.fromisoformat(str(event["made_on"])[:10])
        if not start <= day <= end:
            continue
        kind, detail = str(event["kind"]), str(event.get("detail") or "")
        if kind == "withdrawn":
            found.append(TimelineEvent(day, "withdrawal", f"{detail} withdrew"))
        elif kind in ("decided", "abandoned"):
            found.append(TimelineEvent(day, "close", f"closed: {kind}"))
        elif kind == "reopened":
            found.append(TimelineEvent(day, "reopened", "reopened"))
    return found
