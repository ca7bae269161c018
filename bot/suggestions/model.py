"""What a suggestion is: a declaration someone proposes, with every source offered for it,
waiting for a moderator to confirm (then it is recorded), reject or let expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain import Stance, split_ref


class SuggestionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    EXPIRED = "expired"


FEED_PREFIX = "feed:"
"""`suggested_by` of a suggestion a news feed made: 'feed:<the feed's name or URL>'."""


@dataclass(frozen=True)
class SuggestionRules:
    """How many suggestions one person may make per hour, and how long one waits for review
    (settings: TALLYBOT_SUGGESTIONS_PER_HOUR, TALLYBOT_SUGGESTION_DAYS)."""

    per_hour: int = 10
    lifetime: timedelta = timedelta(days=14)


@dataclass(frozen=True, kw_only=True)
class NewSuggestion:
    """What someone (or a feed) proposes, as given: checked by `propose` like a declaration.

    `stance` may be None only for a feed item whose text does not say it plainly: the review
    then shows "stance to pick" and the moderator picks it in the Edit form."""

    community_id: int
    tracker_id: int
    member: str
    """Code, name or alias of a member of the tracker's body."""
    stance: Stance | None
    target: str | None = None
    """The candidate (selection) or stage (approval), as typed; None for none."""
    source: str
    """An http(s) URL: required."""
    quote: str | None = None
    speaker: str | None = None
    made_on: date | None = None
    """When it was said; None: the day it is suggested."""
    suggested_by: str
    """Who suggests it: an actor ref 'platform:workspace:user (name)', or 'feed:<url>'."""
    explanation: str | None = None
    """Why a feed thinks so: "matched 'Ungarn' -> Hungary; 'Rutte' -> Mark Rutte"."""


@dataclass(frozen=True)
class Source:
    """One report offered for a suggestion (a duplicate suggestion adds its own)."""

    url: str
    quote: str | None
    speaker: str | None
    made_on: date
    suggested_by: str
    added_at: datetime


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """A checked suggestion, before the store gives it an id: member by code, target resolved."""

    community_id: int
    tracker_id: int
    member: str
    stance: Stance | None
    candidate_id: int | None
    stage: str | None
    made_on: date
    explanation: str | None = None

    @property
    def key(self) -> tuple[int, str, str, int, str]:
        """What makes two suggestions the same: tracker, member, stance and target."""
        return (
            self.tracker_id,
            self.member,
            str(self.stance or ""),
            self.candidate_id or 0,
            self.stage or "",
        )


@dataclass(frozen=True, kw_only=True)
class Suggestion(Proposal):
    id: int
    status: SuggestionStatus
    sources: tuple[Source, ...]
    """Oldest first; the first is the one a confirm records, the others are named with it."""
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    declaration_id: int | None = None
    """The declaration a confirm recorded."""

    @property
    def first(self) -> Source:
        return self.sources[0]

    @property
    def suggested_by(self) -> str:
        return self.first.suggested_by

    def expired_on(self, now: datetime) -> bool:
        return self.status is SuggestionStatus.EXPIRED or (
            self.status is SuggestionStatus.PENDING and self.expires_at <= now
        )


@dataclass(frozen=True)
class ProposeResult:
    suggestion: Suggestion
    merged: bool
    """True: a pending suggestion of the same declaration took this one's source."""
    known_source: bool = False
    """With merged: that suggestion already had this source (same URL), so nothing was added
    (the one who offered it first stays its suggester)."""


def person_key(ref: str) -> str:
    """'slack:T1:U1 (Ann)' -> 'slack:T1:U1': who a suggestion is counted against (names
    change); a feed's ref is its own key."""
    return split_ref(ref)[0]
