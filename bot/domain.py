"""Domain values: trackers, candidates, declarations and the words users type for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.rules import Rule


class Stance(StrEnum):
    SUPPORT = "support"
    LEAN_SUPPORT = "lean-support"
    UNDECIDED = "undecided"
    LEAN_OPPOSE = "lean-oppose"
    OPPOSE = "oppose"
    ABSTAIN = "abstain"

    @property
    def names_candidate(self) -> bool:
        """Stances about one candidate in a selection; undecided and abstain are about the race."""
        return self not in (Stance.UNDECIDED, Stance.ABSTAIN)

    @property
    def verb(self) -> str:
        return _VERBS[self]


_VERBS = {
    Stance.SUPPORT: "backs",
    Stance.LEAN_SUPPORT: "leans towards",
    Stance.UNDECIDED: "is undecided",
    Stance.LEAN_OPPOSE: "leans against",
    Stance.OPPOSE: "opposes",
    Stance.ABSTAIN: "abstains",
}

STANCE_ALIASES: dict[str, Stance] = {
    "yes": Stance.SUPPORT,
    "for": Stance.SUPPORT,
    "supports": Stance.SUPPORT,
    "back": Stance.SUPPORT,
    "backs": Stance.SUPPORT,
    "approve": Stance.SUPPORT,
    "ratify": Stance.SUPPORT,
    "lean": Stance.LEAN_SUPPORT,
    "lean-yes": Stance.LEAN_SUPPORT,
    "leaning": Stance.LEAN_SUPPORT,
    "unsure": Stance.UNDECIDED,
    "lean-no": Stance.LEAN_OPPOSE,
    "no": Stance.OPPOSE,
    "against": Stance.OPPOSE,
    "opposes": Stance.OPPOSE,
    "block": Stance.OPPOSE,
    "veto": Stance.OPPOSE,
    "abstains": Stance.ABSTAIN,
}


class TrackerKind(StrEnum):
    SELECTION = "selection"
    APPROVAL = "approval"


class TrackerStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    ABANDONED = "abandoned"


class Confidence(StrEnum):
    OFFICIAL = "official"
    REPORTED = "reported"
    UNSTATED = "unstated"
    """Nobody said how sure the report is: stored as such, shown as nothing."""

    @classmethod
    def choices(cls) -> tuple[str, ...]:
        """What a moderator may give (leaving the option out records UNSTATED)."""
        return tuple(str(c) for c in cls if c is not cls.UNSTATED)


class TrackerVisibility(StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    withdrawn_on: date | None = None

    def is_active_on(self, day: date) -> bool:
        return self.withdrawn_on is None or day < self.withdrawn_on


@dataclass(frozen=True)
class Tracker:
    id: int
    slug: str
    title: str
    body: str
    kind: TrackerKind
    rule: Rule
    opened: date
    status: TrackerStatus = TrackerStatus.OPEN
    outcome: str | None = None
    closed_on: date | None = None
    subject: str | None = None
    """A member the question is about (an applicant): it never counts as a voter."""
    candidates: tuple[Candidate, ...] = ()
    stages: tuple[str, ...] = ()
    visibility: TrackerVisibility = TrackerVisibility.PRIVATE
    archived_at: datetime | None = None
    """Hidden from /tally trackers and from the 'only open tracker' default; still readable."""
    community_id: int | None = None
    """The community that owns it (and alone records in it)."""

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def candidate_named(self, candidate_id: int | None) -> Candidate | None:
        return next((c for c in self.candidates if c.id == candidate_id), None)

    def active_candidates(self, day: date) -> list[Candidate]:
        return [c for c in self.candidates if c.is_active_on(day)]


@dataclass(frozen=True)
class Retraction:
    reason: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class NewDeclaration:
    """What a moderator records; the store gives it an id."""

    tracker_id: int
    member: str
    stance: Stance
    made_on: date
    recorded_by: str
    recorded_at: datetime
    candidate_id: int | None = None
    stage: str | None = None
    source: str | None = None
    quote: str | None = None
    speaker: str | None = None
    confidence: Confidence = Confidence.UNSTATED
    condition: str | None = None


AMENDABLE = ("source", "quote", "speaker", "confidence", "condition")
"""What an amendment may correct: the record of what was said, never the position itself."""


@dataclass(frozen=True)
class Amendment:
    """A correction of a declaration's record: {field: new value}; None clears a field."""

    changes: tuple[tuple[str, str | None], ...]
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class Declaration(NewDeclaration):
    """One reported position of one member: append-only; a later one is a change of position.

    Its fields read with every amendment applied; `original` keeps the values as first recorded
    for the fields an amendment changed."""

    id: int
    retraction: Retraction | None = None
    amendments: tuple[Amendment, ...] = ()
    original: tuple[tuple[str, str | None], ...] = ()


def split_ref(ref: str) -> tuple[str, str | None]:
    """'slack:T1:U1 (Ann (Bob))' -> ('slack:T1:U1', 'Ann (Bob)'): who acted, and the name
    shown. The name is the parenthesis that closes the ref (a display name may hold its own);
    without a balanced one, the first ' (' (platform ids hold no spaces). No name: (ref, None)."""
    if not ref.endswith(")"):
        return ref, None
    depth = 0
    for at in range(len(ref) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(ref[at], 0)
        if depth == 0:
            if at > 0 and ref[at - 1] == " ":
                return ref[: at - 1], ref[at + 1 : -1]
            break
    head, sep, name = ref.partition(" (")
    return (head, name[:-1]) if sep and head else (ref, None)
