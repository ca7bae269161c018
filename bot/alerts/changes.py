"""What an event changed: the tally before and after it, read inside the command's transaction.

Both tallies come from `compute_tally` over the stored positions; "before" only swaps the one
member (or candidate) the event touched, so alerts never re-implement the counting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from bot.domain import Declaration, Tracker
from bot.events import DomainEvent, EventKind
from bot.members import Body
from bot.storage import Records
from bot.tally import Tally, compute_tally, reading_day


@dataclass(frozen=True)
class Change:
    event: DomainEvent
    tracker: Tracker
    body: Body
    before: Tally
    after: Tally
    declaration: Declaration | None = None
    """The declaration made or retracted."""
    position_before: Declaration | None = None
    """The member's standing declaration before the event."""
    position_after: Declaration | None = None
    """The member's standing declaration after it."""
    roll_call: tuple[Declaration, ...] = ()
    """A roll-call's declarations (the event names several members)."""

    @property
    def is_current(self) -> bool:
        """The new declaration is now the member's standing position (not an older statement)."""
        return (
            self.declaration is not None
            and self.position_after is not None
            and self.position_after.id == self.declaration.id
        )


def read_change(repo: Records, event: DomainEvent, today: date) -> Change:
    tracker = repo.tracker_by_id(event.tracker_id)
    body = repo.body(tracker.body)
    today = reading_day(tracker, None, today)  # a closed tracker reads as of its closing day
    positions = repo.positions(tracker, today)
    after = compute_tally(tracker, body, today, positions)
    if event.kind in (EventKind.DECLARATION, EventKind.RETRACTION) and event.declaration_id:
        declaration = repo.declaration(event.declaration_id)
        member = declaration.member
        if event.kind is EventKind.DECLARATION:
            before_position = repo.standing(tracker.id, member, today, skip=declaration.id)
        else:
            before_position = repo.standing(tracker.id, member, today, revive=declaration.id)
        before_positions = dict(positions)
        if before_position is None:
            before_positions.pop(member, None)
        else:
            before_positions[member] = before_position
        before = compute_tally(tracker, body, today, before_positions)
        return Change(
            event,
            tracker,
            body,
            before,
            after,
            declaration,
            before_position,
            positions.get(member),
        )
    if event.kind is EventKind.ROLL_CALL:
        declarations = tuple(repo.declaration(i) for i in event.declaration_ids)
        before_positions = dict(positions)
        for declaration in declarations:
            earlier = repo.standing(tracker.id, declaration.member, today, skip=declaration.id)
            if earlier is None:
                before_positions.pop(declaration.member, None)
            else:
                before_positions[declaration.member] = earlier
        before = compute_tally(tracker, body, today, before_positions)
        return Change(event, tracker, body, before, after, roll_call=declarations)
    if event.kind is EventKind.WITHDRAWAL:
        restored = tuple(
            dataclasses.replace(c, withdrawn_on=None) if c.name == event.detail else c
            for c in tracker.candidates
        )
        unwithdrawn = dataclasses.replace(tracker, candidates=restored)
        before = compute_tally(unwithdrawn, body, today, positions)
        return Change(event, tracker, body, before, after)
    return Change(event, tracker, body, after, after)
