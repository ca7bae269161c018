"""How an alert reads: "🇱🇹 Lithuania backs Mark Rutte — 28 of 32 (needs 4 more; Hungary
opposes)". Platform-neutral `Reply`s; each adapter renders (and escapes) them as it renders replies.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.alerts.changes import Change
from bot.domain import Candidate, Stance, TrackerKind
from bot.events import EventKind
from bot.presentation import (
    blockers,
    colour_for,
    declaration_data,
    describe_stance,
    headline,
    names,
    not_voted,
    plural_verb,
    provenance,
    state_phrase,
)
from bot.replies import Colour, Reply, Visibility
from bot.rules import Outcome
from bot.tally import Tally


@dataclass(frozen=True)
class EventAlert:
    summary: str
    """One line for digests: '🇱🇹 Lithuania backs Mark Rutte'."""
    reply: Reply
    """The 'every' alert."""
    milestone: Reply | None
    """The 'milestones' alert, when the outcome changed."""


def event_alert(change: Change) -> EventAlert:
    kind = change.event.kind
    if kind is EventKind.DECLARATION:
        summary, reply = _declaration_alert(change)
    elif kind is EventKind.ROLL_CALL:
        summary, reply = _roll_call_alert(change)
    elif kind is EventKind.RETRACTION:
        summary, reply = _retraction_alert(change)
    else:
        summary, reply = _tracker_alert(change)
    found = milestones(change)
    milestone = _milestone_reply(change, found, summary) if found else None
    return EventAlert(summary, reply, milestone)


def count_phrase(tally: Tally, candidate: Candidate | None = None) -> str:
    """'28 of 32 (needs 4 more; Hungary opposes)' for the candidate (default: the leader)."""
    standing = tally.standing(candidate) if candidate else None
    if standing is not None:
        supporters, verdict, opponents = standing.supporters, standing.verdict, standing.opponents
    else:
        supporters, verdict = tally.supporters, tally.verdict
        opponents = tally.by_stance[Stance.OPPOSE]
    detail = [state_phrase(verdict, len(supporters), not_voted(tally))]
    if opponents:
        verb = "opposes" if len(opponents) == 1 else "oppose"
        detail.append(f"{names(tally.body, opponents)} {verb}")
    text = f"{len(supporters)} of {len(tally.voters)} ({'; '.join(detail)})"
    if standing is not None and tally.leader is not None and tally.leader != candidate:
        text += f"; {tally.leader.name} leads with {len(tally.supporters)}"
    return text


def _subject(change: Change) -> Candidate | None:
    declaration = change.declaration or next(iter(change.roll_call), None)
    if declaration is None or change.tracker.kind is not TrackerKind.SELECTION:
        return None
    return change.tracker.candidate_named(declaration.candidate_id)


def _declaration_alert(change: Change) -> tuple[str, Reply]:
    declaration, tracker, body = change.declaration, change.tracker, change.body
    assert declaration is not None
    member = body.get(declaration.member)
    said = f"{member.label} {describe_stance(declaration, tracker)}"
    before = change.position_before
    if not change.is_current and change.position_after is not None:
        current = describe_stance(change.position_after, tracker)
        summary = f"{said} (statement of {declaration.made_on}; current position: {current})"
    elif before is None:
        summary = said
    elif (before.stance, before.candidate_id, before.stage) == (
        declaration.stance,
        declaration.candidate_id,
        declaration.stage,
    ):
        summary = f"{said} (unchanged since {before.made_on})"
    else:
        summary = f"{said} (was: {describe_stance(before, tracker)})"
    lines = [provenance(declaration)]
    if declaration.condition:
        lines.append(f"Condition: {declaration.condition}")
    reply = Reply(
        title=f"{summary} — {count_phrase(change.after, _subject(change))}",
        lines=tuple(lines),
        context=_context(change),
        colour=colour_for(change.after.verdict.outcome),
        visibility=Visibility.PUBLIC,
        data={
            "alert": "declaration",
            "declaration": declaration_data(declaration, tracker),
            "tally": change.after.to_data(),
        },
    )
    return summary, reply


def _roll_call_alert(change: Change) -> tuple[str, Reply]:
    """'Austria, Belgium and Bulgaria back Mark Rutte — 31 of 32': one alert for a roll-call."""
    declarations, tracker, body = change.roll_call, change.tracker, change.body
    first = declarations[0]
    codes = [d.member for d in declarations]
    summary = f"{names(body, codes)} {plural_verb(describe_stance(first, tracker))}"
    lines = [provenance(first)]
    if first.condition:
        lines.append(f"Condition: {first.condition}")
    older = [d.member for d in declarations if change.after.positions.get(d.member, d).id != d.id]
    if older:
        lines.append(
            f"Statement of {first.made_on}; a later position stands for {names(body, older)}."
        )
    reply = Reply(
        title=f"{summary} — {count_phrase(change.after, _subject(change))}",
        lines=tuple(lines),
        context=_context(change),
        colour=colour_for(change.after.verdict.outcome),
        visibility=Visibility.PUBLIC,
        data={
            "alert": "roll-call",
            "declarations": [declaration_data(d, tracker) for d in declarations],
            "tally": change.after.to_data(),
        },
    )
    return summary, reply


def _retraction_alert(change: Change) -> tuple[str, Reply]:
    declaration, tracker, body = change.declaration, change.tracker, change.body
    assert declaration is not None
    member = body.get(declaration.member)
    summary = f"Retracted: {member.label} {describe_stance(declaration, tracker)}"
    reason = declaration.retraction.reason if declaration.retraction else ""
    standing = change.position_after
    now = (
        f"{member.name} now: {describe_stance(standing, tracker)} (since {standing.made_on})"
        if standing
        else f"{member.name} has no standing declaration now"
    )
    reply = Reply(
        title=f"↩️ {summary} — now {count_phrase(change.after, _subject(change))}",
        lines=(f"Reason: {reason}", f"Was: {provenance(declaration)}", now),
        context=_context(change),
        colour=colour_for(change.after.verdict.outcome),
        visibility=Visibility.PUBLIC,
        data={
            "alert": "retraction",
            "declaration": declaration_data(declaration, tracker),
            "tally": change.after.to_data(),
        },
    )
    return summary, reply


def _tracker_alert(change: Change) -> tuple[str, Reply]:
    event, tracker = change.event, change.tracker
    colour = colour_for(change.after.verdict.outcome)
    if event.kind is EventKind.WITHDRAWAL:
        summary = f"{event.detail} withdrew from {tracker.title}"
    elif event.kind is EventKind.CLOSED:
        summary = f"{tracker.title}: {tracker.status} — {event.detail}"
        colour = Colour.REACHED if str(tracker.status) == "decided" else Colour.INFO
    else:
        summary = f"New tracker {tracker.slug}: {tracker.title}"
        colour = Colour.INFO
    reply = Reply(
        title=summary,
        lines=(f"Now: {headline(change.after)}",),
        context=_context(change),
        colour=colour,
        visibility=Visibility.PUBLIC,
        data={"alert": str(event.kind), "detail": event.detail, "tally": change.after.to_data()},
    )
    return summary, reply


def milestones(change: Change) -> list[str]:
    """What changed in the outcome: rule met or no longer met, blocked or unblocked, the last
    holdout, a new leader, a candidate withdrawn, the question decided."""
    event, before, after = change.event, change.before, change.after
    found: list[str] = []
    if event.kind is EventKind.CLOSED:
        found.append(f"{str(change.tracker.status).capitalize()}: {event.detail}")
    if event.kind is EventKind.WITHDRAWAL:
        found.append(f"{event.detail} withdrew")
    was, now = before.verdict, after.verdict
    who = after.leader.name if after.leader else "The proposal"
    if now.outcome is Outcome.REACHED and was.outcome is not Outcome.REACHED:
        found.append(f"✅ {who} has the support the rule requires")
    elif was.outcome is Outcome.REACHED and now.outcome is not Outcome.REACHED:
        found.append("The rule is no longer met")
    if now.outcome is Outcome.BLOCKED and was.outcome is not Outcome.BLOCKED:
        # blocked_by can hold abstainers too (qmv, thresholds): not all of them oppose.
        if now.vetoed_by:
            found.append(f"⛔ Vetoed by {names(after.body, now.vetoed_by)}")
        else:
            found.append(
                f"⛔ Blocked by {names(after.body, now.blocked_by)}"
                if now.blocked_by
                else f"⛔ Blocked: {blockers(after)}"
            )
    elif was.outcome is Outcome.BLOCKED and now.outcome is not Outcome.BLOCKED:
        found.append("Unblocked: no one blocks it any more")
    if now.outcome is not Outcome.REACHED and now.needed == 1 and was.needed != 1:
        # Under unanimity an abstention does not block: the holdout is whoever else is left.
        waived = set(after.abstaining) if after.tracker.rule.kind == "unanimity" else set()
        left = set(after.holdouts()) - waived
        holdouts = [m for m in after.voters if m.code in left]
        if len(holdouts) == 1:
            found.append(f"The last holdout: {holdouts[0].label}")
        else:
            found.append("One more member needed")
    if (
        before.leader is not None
        and after.leader is not None
        and before.leader != after.leader
        and event.kind is not EventKind.WITHDRAWAL
    ):
        found.append(f"{after.leader.name} now leads")
    return found


def _milestone_reply(change: Change, found: list[str], summary: str) -> Reply:
    lines = [summary]
    if change.declaration is not None:
        lines.append(provenance(change.declaration))
    lines.append(f"Now: {headline(change.after)}")
    return Reply(
        title=f"🏁 {change.tracker.title}: {'; '.join(found)}",
        lines=tuple(lines),
        context=_context(change),
        colour=colour_for(change.after.verdict.outcome),
        visibility=Visibility.PUBLIC,
        data={"alert": "milestone", "milestones": found, "tally": change.after.to_data()},
    )


def _context(change: Change) -> tuple[str, ...]:
    return (f"{change.tracker.title} · /tally {change.tracker.slug}",)
