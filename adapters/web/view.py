"""Page data shaped for the templates: plain values, so the templates hold no logic beyond
loops (and Jinja escapes every value they print)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from adapters.web.reading import TrackerPage
from bot.domain import Confidence, Declaration, Stance, TrackerKind
from bot.history import event_entry
from bot.presentation import (
    blockers,
    deemed_text,
    describe_stance,
    headline,
    leading_phrase,
    names,
    not_voted,
)
from bot.rules import Outcome
from bot.tally import Tally
from bot.timeline import timeline_span

UNDECLARED = "undeclared"
NOT_TAKING_PART = "not-taking-part"
STANCE_WORDS = {
    str(Stance.SUPPORT): "support",
    str(Stance.LEAN_SUPPORT): "leaning support",
    str(Stance.UNDECIDED): "undecided",
    str(Stance.LEAN_OPPOSE): "leaning against",
    str(Stance.OPPOSE): "oppose",
    str(Stance.ABSTAIN): "abstain",
    UNDECLARED: "not declared",
    NOT_TAKING_PART: "not taking part",
}
STANCE_MARKS = {
    str(Stance.SUPPORT): "✓",
    str(Stance.LEAN_SUPPORT): "↗",
    str(Stance.UNDECIDED): "?",
    str(Stance.LEAN_OPPOSE): "↘",
    str(Stance.OPPOSE): "✗",
    str(Stance.ABSTAIN): "–",
    UNDECLARED: "·",
    NOT_TAKING_PART: "○",
}
RIVAL_MARK = "⇄"
PARTWAY_MARK = "◐"
HISTORY_LIMIT = 200
"""Entries the page lists; the CSV export and the feed carry the record."""
OUTCOME_WORDS = {
    Outcome.REACHED: "Rule met",
    Outcome.BLOCKED: "Blocked",
    Outcome.PENDING: "Pending",
}


@dataclass(frozen=True)
class Link:
    href: str
    label: str


def source_link(source: str | None) -> Link | None:
    """A link for an http(s) URL only (never javascript: or data:), labelled by its host."""
    if not source:
        return None
    try:
        parts = urlsplit(source.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return Link(source.strip(), parts.hostname.removeprefix("www."))


@dataclass(frozen=True)
class Cell:
    code: str
    name: str
    stance: str
    """The stance as stored ('support', 'oppose'...), or 'undeclared'."""
    word: str
    mark: str
    detail: str
    """'backs Mark Rutte', 'approves (signature)', 'has not declared'."""
    rival: bool
    partway: bool
    date: str | None
    quote: str | None
    speaker: str | None
    source: str | None
    link: Link | None
    confidence: str | None
    condition: str | None


def cells(tally: Tally) -> list[Cell]:
    """One per voter, in the body's order, then one per member not taking part."""
    tracker = tally.tracker
    leader = tally.leader.id if tally.leader else None
    final = tracker.stages[-1] if tracker.stages else None
    found = []
    for member in tally.voters:
        d = tally.positions.get(member.code)
        stance = str(d.stance) if d else UNDECLARED
        rival = bool(
            d
            and tracker.kind is TrackerKind.SELECTION
            and d.stance in (Stance.SUPPORT, Stance.LEAN_SUPPORT)
            and d.candidate_id is not None
            and d.candidate_id != leader
            and len(tracker.candidates) > 1
        )
        partway = bool(d and d.stance is Stance.SUPPORT and final and d.stage != final)
        mark = RIVAL_MARK if rival else PARTWAY_MARK if partway else STANCE_MARKS[stance]
        found.append(
            Cell(
                code=member.code,
                name=member.name,
                stance=stance,
                word=STANCE_WORDS[stance],
                mark=mark,
                detail=describe_stance(d, tracker) if d else "has not declared",
                rival=rival,
                partway=partway,
                date=d.made_on.isoformat() if d else None,
                quote=d.quote if d else None,
                speaker=d.speaker if d else None,
                source=d.source if d else None,
                link=source_link(d.source) if d else None,
                confidence=_confidence(d) if d else None,
                condition=d.condition if d else None,
            )
        )
    for code in tally.not_taking_part:
        member = tally.body.get(code)
        word = STANCE_WORDS[NOT_TAKING_PART]
        found.append(
            Cell(
                code=code,
                name=member.name,
                stance=NOT_TAKING_PART,
                word=word,
                mark=STANCE_MARKS[NOT_TAKING_PART],
                detail=f"is {word} (the rule leaves it out)",
                rival=False,
                partway=False,
                **dict.fromkeys(_DECLARED_FIELDS),
            )
        )
    return found


_DECLARED_FIELDS = ("date", "quote", "speaker", "source", "link", "confidence", "condition")
"""Cell fields a declaration fills: none for a member not taking part."""


def _confidence(declaration: Declaration) -> str | None:
    stated = declaration.confidence is not Confidence.UNSTATED
    return str(declaration.confidence) if stated else None


def legend(found: Iterable[Cell]) -> list[dict[str, str]]:
    """The stances present on the grid, in the order of the stance scale."""
    present = {c.stance for c in found}
    entries = [
        {"stance": s, "word": STANCE_WORDS[s], "mark": STANCE_MARKS[s]}
        for s in STANCE_WORDS
        if s in present
    ]
    if any(c.rival for c in found):
        entries.append({"stance": "rival", "word": "backs a rival", "mark": RIVAL_MARK})
    if any(c.partway for c in found):
        entries.append({"stance": "partway", "word": "part-way", "mark": PARTWAY_MARK})
    return entries


EMOJI_MARKS = ("⛔ ", "✅ ")


def plain(text: str) -> str:
    """Chat wording without its emoji: a browser without a colour-emoji font shows a box."""
    for mark in EMOJI_MARKS:
        text = text.replace(mark, "")
    return text


def summary(tally: Tally) -> dict[str, Any]:
    """Headline, outcome and rule, as the page's top shows them."""
    verdict = tally.verdict
    voters = len(tally.voters)
    outcome = OUTCOME_WORDS[verdict.outcome]
    if verdict.vetoed_by:
        outcome = f"Vetoed by {names(tally.body, verdict.vetoed_by)}"
    elif verdict.outcome is Outcome.BLOCKED:
        outcome += f": {blockers(tally)}"
    elif verdict.provisional:
        outcome = "Leading so far: " + leading_phrase(not_voted(tally)).removeprefix(
            "leading so far: "
        )
    elif verdict.outcome is Outcome.PENDING:
        outcome += f": needs {verdict.needed} more"
    elif verdict.population_short:
        outcome += f": {deemed_text(verdict)}"
    rule = tally.tracker.rule.describe(
        voters, len(tally.abstaining), verdict.base, verdict.blocking
    )
    return {
        "headline": plain(headline(tally)),
        "outcome": str(verdict.outcome),
        "outcome_text": outcome,
        # Chat's case kept (Art. 16(4) TEU, veto (CN, FR...)): only the first letter raised.
        "rule": rule[:1].upper() + rule[1:],
        "supporting": len(tally.supporters),
        "required": verdict.required,
        "voters": voters,
        "population": (
            f"{verdict.population_share:.1%} of population behind it (65% needed)"
            if verdict.population_share is not None
            else None
        ),
    }


@dataclass(frozen=True)
class Entry:
    kind: str
    """'declaration' or 'event'."""
    text: str
    id: int | None = None
    quote: str | None = None
    speaker: str | None = None
    link: Link | None = None
    source: str | None = None
    retracted: str | None = None


def history(page: TrackerPage, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """Days newest first, each with its events then its declarations (as /tally history)."""
    tally = page.tally
    body, tracker = tally.body, tally.tracker
    days: dict[date, list[Entry]] = {}
    events = sorted(page.events, key=lambda e: e["recorded_at"], reverse=True)
    for event in events:
        days.setdefault(date.fromisoformat(event["made_on"]), []).append(
            Entry("event", public_event_text(event))
        )
    for d in page.declarations[:limit]:
        member = body.get(d.member)
        days.setdefault(d.made_on, []).append(
            Entry(
                "declaration",
                f"{member.name} {describe_stance(d, tracker)}",
                id=d.id,
                quote=d.quote,
                speaker=d.speaker,
                link=source_link(d.source),
                source=d.source,
                retracted=d.retraction.reason if d.retraction else None,
            )
        )
    return [{"day": day.isoformat(), "entries": days[day]} for day in sorted(days, reverse=True)]


def public_event_text(event: Mapping[str, Any]) -> str:
    """The event as /tally history words it, without who recorded it (a public page names
    no moderator)."""
    text = event_entry(event).removeprefix("⚙️ ")
    return text.rsplit(" — by ", 1)[0]


def timeline_alt(page: TrackerPage) -> str:
    """The timeline picture in words, for readers who cannot see it; the list of steps under
    it gives every change."""
    tally = page.tally
    start, end = timeline_span(tally.tracker, tally.as_of)
    leader = tally.leader.name if tally.leader else None
    series = f"support for {leader}" if leader else "support"
    if tally.tracker.kind is TrackerKind.SELECTION and len(tally.standings) > 1:
        series += " and each other candidate"
    changes = len(page.steps)
    counted = f"{changes} change{'s' if changes != 1 else ''}"
    return (
        f"Step chart of {series} from {start} to {end} ({counted}), with the threshold as a "
        f"line. As of {end}: {plain(headline(tally))}. Every step is listed below."
    )
