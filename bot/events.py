"""What happened, as written by a command: alerts and other listeners subscribe to these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class EventKind(StrEnum):
    DECLARATION = "declaration"
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
