"""What happened, as written by a command: alerts and other listeners subscribe to these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class EventKind(StrEnum):
    DECLARATION = "declaration"
    ROLL_CALL = "roll-call"
    """Several members' declarations recorded by one command: one grouped alert."""
    RETRACTION = "retraction"
    WITHDRAWAL = "withdrawal"
    CLOSED = "closed"
    OPENED = "opened"


@dataclass(frozen=True)
class DomainEvent:
    kind: EventKind
    tracker_id: int
    made_on: date
    declaration_id: int | None = None
    detail: str = ""
    declaration_ids: tuple[int, ...] = ()
    """A roll-call's declarations, in the order named."""
