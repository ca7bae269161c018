"""The tracker's course, day by day: support for the leader and the outcome after each day on
which something was declared or a candidate withdrew, with the milestones of that day.

Pure: a replay of the declarations in the order `Repository.positions` reads them (latest by
date, then by record order; retracted ones left out), counted by the core's `compute_tally`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain import Declaration, Tracker
from bot.members import Body
from bot.presentation import blockers, names
from bot.rules import Outcome
from bot.tally import Tally, compute_tally


@dataclass(frozen=True)
class Step:
    day: date
    supporting: int
    voters: int
    required: int
    outcome: Outcome
    leader: str | None
    notes: tuple[str, ...]
    """Milestones of the day: the rule met or lost, blocked or unblocked, a new leader."""
    recorded_at: datetime | None
    """When the newest declaration of the day was recorded (None for a withdrawal alone)."""


def replay(
    tracker: Tracker, body: Body, declarations: Iterable[Declaration], until: date
) -> list[Step]:
    """The steps from the opening to `until`: a day is kept when the count, the outcome or the
    leader changed on it."""
    by_day: dict[date, list[Declaration]] = {}
    for declaration in declarations:
        if declaration.retraction is None and declaration.made_on <= until:
            by_day.setdefault(declaration.made_on, []).append(declaration)
    days = set(by_day) | {tracker.opened}
    days |= {c.withdrawn_on for c in tracker.candidates if c.withdrawn_on}
    days |= {m.joined for m in body.members} | {m.left for m in body.members if m.left}
    latest: dict[str, Declaration] = {}
    steps: list[Step] = []
    before: Tally | None = None
    for day in sorted(d for d in days if tracker.opened <= d <= until):
        todays = sorted(by_day.get(day, ()), key=lambda d: d.id)
        for declaration in todays:
            latest[declaration.member] = declaration
        tally = compute_tally(tracker, body, day, latest)
        # The opening day is measured against no declarations at all: a vote recorded entirely
        # that day is met or vetoed that day, and says so.
        start = before or compute_tally(tracker, body, day, {})
        step = _step(tally, start, max((d.recorded_at for d in todays), default=None))
        if before is None or step.notes or _changed(step, steps[-1]):
            steps.append(step)
        before = tally
    return steps


def _changed(step: Step, last: Step) -> bool:
    return (step.supporting, step.voters, step.outcome, step.leader) != (
        last.supporting,
        last.voters,
        last.outcome,
        last.leader,
    )


def _step(tally: Tally, before: Tally, recorded_at: datetime | None) -> Step:
    return Step(
        day=tally.as_of,
        supporting=len(tally.supporters),
        voters=len(tally.voters),
        required=tally.verdict.required,
        outcome=tally.verdict.outcome,
        leader=tally.leader.name if tally.leader else None,
        notes=tuple(milestones(before, tally)),
        recorded_at=recorded_at,
    )


def milestones(before: Tally, after: Tally) -> list[str]:
    """What changed between two days: membership, and the outcome (in the words of the
    milestone alerts)."""
    was, now = before.verdict, after.verdict
    found: list[str] = []
    if len(before.voters) != len(after.voters):
        found.append(f"Members {len(before.voters)} → {len(after.voters)}")
    elif set(before.voters) != set(after.voters):
        left = [m.code for m in before.voters if m not in after.voters]
        joined = [m.code for m in after.voters if m not in before.voters]
        found.append(
            f"Terms changed: {', '.join(left)} left, {', '.join(joined)} joined "
            "(votes of members who left no longer count)"
        )
    who = after.leader.name if after.leader else "The proposal"
    if now.outcome is Outcome.REACHED and was.outcome is not Outcome.REACHED:
        found.append(f"{who} has the support the rule requires")
    elif was.outcome is Outcome.REACHED and now.outcome is not Outcome.REACHED:
        found.append("The rule is no longer met")
    if now.vetoed_by and now.vetoed_by != was.vetoed_by:
        found.append(f"Vetoed by {names(after.body, now.vetoed_by)}")
    elif now.outcome is Outcome.BLOCKED and was.outcome is not Outcome.BLOCKED:
        found.append(
            f"Blocked by {names(after.body, now.blocked_by)}"
            if now.blocked_by
            else f"Blocked: {blockers(after)}"
        )
    elif was.outcome is Outcome.BLOCKED and now.outcome is not Outcome.BLOCKED:
        found.append("Unblocked: no one blocks it any more")
    if before.leader is not None and after.leader is not None and before.leader != after.leader:
        found.append(f"{after.leader.name} now leads")
    return found
