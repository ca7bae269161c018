"""Wording shared by replies and alerts: how a tally, a position or a declaration reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from bot.domain import (
    Candidate,
    Confidence,
    Declaration,
    Stance,
    Tracker,
    TrackerKind,
    TrackerStatus,
    split_ref,
)
from bot.members import Body
from bot.replies import Colour, Field, Reply
from bot.rules import Abstention, Base, Outcome, Verdict
from bot.tally import Tally

_OUTCOME_COLOUR = {
    Outcome.REACHED: Colour.REACHED,
    Outcome.BLOCKED: Colour.BLOCKED,
    Outcome.PENDING: Colour.PENDING,
}

STANCE_HEADINGS = {
    Stance.SUPPORT: "Support",
    Stance.LEAN_SUPPORT: "Leaning support (not counted)",
    Stance.UNDECIDED: "Undecided",
    Stance.LEAN_OPPOSE: "Leaning against",
    Stance.OPPOSE: "Oppose",
    Stance.ABSTAIN: "Abstain",
}


def colour_for(outcome: Outcome) -> Colour:
    return _OUTCOME_COLOUR[outcome]


def labels(body: Body, codes: Iterable[str]) -> tuple[str, ...]:
    """Flag and name, alphabetical by name (codes stay in code order in the data)."""
    return tuple(m.label for m in sorted((body.get(c) for c in codes), key=lambda m: m.name))


def names(body: Body, codes: Iterable[str]) -> str:
    return names_list([body.get(code).name for code in codes])


def names_list(found: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(found) <= 1:
        return "".join(found)
    return ", ".join(found[:-1]) + " and " + found[-1]


def headline(tally: Tally) -> str:
    """'Mark Rutte: 28 of 32 support · needs 4 more · Hungary opposes'."""
    verdict = tally.verdict
    total = len(tally.voters)
    supporting = len(tally.supporters)
    if tally.tracker.kind is TrackerKind.SELECTION:
        if tally.tied:
            supporting = max(
                len(s.supporters) for s in tally.standings if s.candidate in tally.tied
            )
            tied = names_list([c.name for c in tally.tied])
            count = f"Tied: {tied} with {supporting} of {total} each, no one leads"
        elif tally.leader is None:
            if not any(s.active for s in tally.standings):
                return f"No active candidate · 0 of {total}"
            count = f"No candidate has support yet · 0 of {total}"
        else:
            count = f"{tally.leader.name}: {supporting} of {total} support"
    else:
        count = f"Approved by {supporting} of {total}"
    abstaining = len(tally.abstaining)
    rule = tally.tracker.rule
    if rule.kind == "unanimity" and abstaining:
        count += f" ({supporting} of the {total - abstaining} not abstaining)"
    if rule.base is Base.VOTING:
        count += f" ({supporting} of the {verdict.base} voting)"
    closed = closed_phrase(tally)
    if rule.veto:
        # A veto explains itself even after the close: why the resolution failed matters most.
        return " · ".join(p for p in (count, closed, veto_phrase(tally, supporting)) if p)
    if closed:
        return " · ".join([count, closed])
    parts = [count]
    if verdict.outcome is not Outcome.BLOCKED or (verdict.needed and not abstention_blocks(tally)):
        # Blocked by constructive abstention, or with nobody more needed: only what blocks.
        parts.append(state_phrase(verdict, supporting, not_voted(tally)))
    if verdict.outcome is Outcome.BLOCKED:
        parts.append(f"⛔ blocked: {blockers(tally)}")
    return " · ".join(parts)


def not_voted(tally: Tally) -> int:
    """Members taking part with no vote yet (no support, oppose or abstain declared)."""
    voted = (Stance.SUPPORT, Stance.OPPOSE, Stance.ABSTAIN)
    return len(tally.voters) - sum(len(tally.by_stance[s]) for s in voted)


def veto_phrase(tally: Tally, supporting: int) -> str:
    """The count against the threshold and, separately, the vetoes: '⛔ 9 of 15 needed and no
    veto: 13 for; vetoed by United States'."""
    verdict = tally.verdict
    rule = f"{verdict.required} of {verdict.base} needed and no veto: {supporting} for"
    if verdict.vetoed_by:
        return f"⛔ {rule}; vetoed by {names(tally.body, verdict.vetoed_by)}"
    if verdict.outcome is Outcome.REACHED:
        return f"✅ the rule is met ({rule}, no veto)"
    if verdict.outcome is Outcome.BLOCKED:
        return f"⛔ {rule}; blocked by the count: {blockers(tally)}"
    if verdict.provisional:
        return f"{leading_phrase(not_voted(tally))} ({rule})"
    return f"needs {verdict.needed} more ({rule})"


def closed_phrase(tally: Tally) -> str | None:
    """A closed tracker whose rule was not met says how it ended, never 'needs N more'."""
    tracker = tally.tracker
    if tracker.status is TrackerStatus.OPEN or tally.verdict.outcome is Outcome.REACHED:
        return None
    closed = f" on {tracker.closed_on}" if tracker.closed_on else ""
    return f"{tracker.status}{closed}, the rule not met"


def tally_colour(tally: Tally) -> Colour:
    """The verdict's colour; a closed tracker that never met its rule is no longer pending."""
    return Colour.INFO if closed_phrase(tally) else colour_for(tally.verdict.outcome)


def leading_phrase(waiting: int) -> str:
    """base=voting while members have yet to vote: the count is met so far, not for good."""
    have = "has" if waiting == 1 else "have"
    return (
        f"leading so far: met among those voting, but {waiting} {have} not voted "
        "(met once all have voted or the tracker is closed)"
    )


def deemed_text(verdict: Verdict) -> str:
    """qmv met without 65% of population: too few against for a blocking minority."""
    return (
        f"fewer than {verdict.blocking or 4} members oppose or abstain, so no blocking minority: "
        "the qualified majority is deemed attained (Art. 16(4) TEU, Art. 238(3)(a) TFEU)"
    )


def state_phrase(verdict: Verdict, supporting: int, waiting: int = 0) -> str:
    """'✅ the rule is met', 'needs 4 more', or under qmv the condition that is short:
    '65% of population needed: 13.9% now'."""
    if verdict.outcome is Outcome.REACHED:
        if verdict.population_short:
            return f"✅ the rule is met: {deemed_text(verdict)}"
        return "✅ the rule is met"
    if verdict.outcome is Outcome.PENDING and verdict.required == 0 and not supporting:
        return "every member abstains: nothing is adopted without support, needs 1 more"
    if verdict.provisional:
        return leading_phrase(waiting)
    if verdict.population_needed is None:
        return f"needs {verdict.needed} more"
    short = []
    members = verdict.members_short(supporting)
    if members:
        short.append(f"{members} more member{'s' if members > 1 else ''}")
    if verdict.population_short:
        short.append(
            f"{verdict.population_needed:.0%} of population needed: "
            f"{verdict.population_share or 0.0:.1%} now"
        )
    if members and verdict.needed > members:
        # Both short: the fewest further supporters meeting both is more than the members alone.
        return f"needs {verdict.needed} more to meet both conditions: " + " and ".join(short)
    if members:
        short[0] = "needs " + short[0]
    return " and ".join(short) or f"needs {verdict.needed} more"


def abstention_blocks(tally: Tally) -> bool:
    """Blocked by constructive abstention (Art. 31(1) TEU), not by an oppose."""
    blocked_by = set(tally.verdict.blocked_by)
    return (
        tally.tracker.rule.abstention is Abstention.CONSTRUCTIVE
        and bool(blocked_by)
        and blocked_by <= set(tally.abstaining)
    )


def departed_note(tally: Tally) -> str | None:
    """Why a count fell without anyone changing their mind: terms ended (the UN Security
    Council's elected members each 1 January) and the votes of those who left drop out."""
    if not tally.departed:
        return None
    who = names_list([tally.body.get(c).name for c in tally.departed])
    many = len(tally.departed) > 1
    are, members, votes = (
        ("are", "members", "their votes") if many else ("is", "a member", "its vote")
    )
    return (
        f"Members have changed: {who} declared but {are} no longer {members} on "
        f"{tally.as_of}; {votes} no longer count, and members who joined since count as not "
        "declared."
        + (
            " If the vote is over, close the tracker on its day to keep its result."
            if tally.tracker.status is TrackerStatus.OPEN
            else ""
        )
    )


def blockers(tally: Tally) -> str:
    """'Hungary opposes', or under qmv 'Germany and France oppose; Malta abstains', or what
    else blocks: constructive abstention, a count no one left can reach."""
    verdict = tally.verdict
    abstaining = set(tally.by_stance[Stance.ABSTAIN])
    if abstention_blocks(tally):
        return (
            f"constructive abstention: {names(tally.body, verdict.blocked_by)} abstain, at "
            "least a third of the members with a third of the population (Art. 31(1) TEU)"
        )
    if not verdict.blocked_by:
        return (
            f"{verdict.required} must support and only {len(tally.voters)} take part"
            if verdict.required > len(tally.voters)
            else f"{verdict.required} must support and too few can still do so"
        )
    groups = (
        ([c for c in verdict.blocked_by if c not in abstaining], "oppose", "opposes"),
        ([c for c in verdict.blocked_by if c in abstaining], "abstain", "abstains"),
    )
    return "; ".join(
        f"{names(tally.body, codes)} {plural if len(codes) > 1 else single}"
        for codes, plural, single in groups
        if codes
    )


def describe_stance(declaration: Declaration, tracker: Tracker) -> str:
    """'backs Mark Rutte', 'opposes', 'backs (signature)'."""
    stance = declaration.stance
    candidate = tracker.candidate_named(declaration.candidate_id)
    if tracker.kind is TrackerKind.SELECTION:
        if candidate and stance.names_candidate:
            return f"{stance.verb} {candidate.name}"
        return _WITHOUT_OBJECT.get(stance, "{}").format("a candidate")
    if stance is Stance.SUPPORT:
        if declaration.stage and tracker.stages:
            final = declaration.stage == tracker.stages[-1]
            return f"approves ({declaration.stage}{', final stage' if final else ''})"
        return "approves" if not tracker.stages else "supports (no stage completed yet)"
    return _WITHOUT_OBJECT.get(stance, "{}").format("approving")


def stance_text(stance: Stance, tracker: Tracker, candidate: Candidate | None = None) -> str:
    """A stance as a complete predicate, with no stage: 'approves', 'leans towards
    approving', 'backs Mark Rutte', 'leans towards a candidate'."""
    if tracker.kind is TrackerKind.SELECTION:
        if candidate and stance.names_candidate:
            return f"{stance.verb} {candidate.name}"
        return _WITHOUT_OBJECT.get(stance, "{}").format("a candidate")
    if stance is Stance.SUPPORT:
        return "approves"
    return _WITHOUT_OBJECT.get(stance, "{}").format("approving")


# Stances whose verb needs an object, said in full when there is no candidate to name.
_WITHOUT_OBJECT = {
    Stance.SUPPORT: "backs {}",
    Stance.LEAN_SUPPORT: "leans towards {}",
    Stance.LEAN_OPPOSE: "leans against {}",
    Stance.OPPOSE: "opposes",
    Stance.UNDECIDED: "is undecided",
    Stance.ABSTAIN: "abstains",
}


def declaration_line(declaration: Declaration, tracker: Tracker, body: Body) -> str:
    member = body.get(declaration.member)
    text = f"{member.label} {describe_stance(declaration, tracker)}"
    if declaration.condition:
        text += f", on condition: {declaration.condition}"
    return text


def provenance(declaration: Declaration, *, dated: bool = True) -> str:
    """'“quote” — speaker · 2024-04-02 · reported · source'; without the date where a heading
    already says it (history, position)."""
    said = []
    if declaration.quote:
        said.append(f"“{declaration.quote}”")
    if declaration.speaker:
        said.append(f"— {declaration.speaker}")
    parts = [" ".join(said)] if said else []
    if dated:
        parts.append(declaration.made_on.isoformat())
    if declaration.confidence is not Confidence.UNSTATED:
        parts.append(str(declaration.confidence))
    if declaration.source:
        parts.append(declaration.source)
    return " · ".join(parts)


def tally_reply(tally: Tally) -> Reply:
    tracker, body = tally.tracker, tally.body
    lines = [headline(tally)]
    verdict = tally.verdict
    rule = tracker.rule.describe(
        len(tally.voters), len(tally.abstaining), verdict.base, verdict.blocking
    )
    lines.append(f"Rule: {rule}")
    if tally.not_taking_part:
        lines.append(f"Not taking part: {', '.join(labels(body, tally.not_taking_part))}")
    if note := departed_note(tally):
        lines.append(note)
    if tally.verdict.population_share is not None:
        lines.append(f"Population behind it: {tally.verdict.population_share:.1%}")
    for standing in tally.standings:
        if not standing.active and standing.candidate.withdrawn_on:
            lines.append(f"{standing.candidate.name} withdrew on {standing.candidate.withdrawn_on}")
    if tracker.status is not TrackerStatus.OPEN:
        closed = f" on {tracker.closed_on}" if tracker.closed_on else ""
        lines.append(f"{tracker.status.capitalize()}{closed}: {tracker.outcome or ''}".rstrip(": "))
    fields: list[Field] = []
    if tracker.kind is TrackerKind.SELECTION:
        for standing in tally.standings:
            count = str(len(standing.supporters))
            if not standing.active:
                count += ", withdrawn"
            fields.append(
                Field(
                    f"Support {standing.candidate.name} ({count})",
                    labels(body, standing.supporters),
                )
            )
    else:
        fields.append(Field(f"Approved ({len(tally.approved)})", labels(body, tally.approved)))
        for stage in tracker.stages[:-1]:
            codes = tally.by_stage.get(stage, ())
            if codes:
                items = tuple(f"{body.get(c).label} ({tally.positions[c].made_on})" for c in codes)
                fields.append(Field(f"Part-way: {stage} done ({len(codes)})", items))
        in_principle = [
            c for c in tally.by_stance[Stance.SUPPORT] if tally.positions[c].stage is None
        ]
        if tracker.stages and in_principle:
            fields.append(
                Field(f"Support, no stage yet ({len(in_principle)})", labels(body, in_principle))
            )
    for stance in Stance:
        if stance is Stance.SUPPORT:
            continue
        codes = tally.by_stance[stance]
        if codes:
            items = tuple(_with_target(tally, c) for c in codes)
            fields.append(Field(f"{STANCE_HEADINGS[stance]} ({len(codes)})", items))
    fields.append(Field(f"Not declared ({len(tally.undeclared)})", labels(body, tally.undeclared)))
    context = []
    latest = max(tally.positions.values(), key=lambda d: (d.made_on, d.id), default=None)
    if latest:
        context.append(f"Latest: {declaration_line(latest, tracker, body)} · {provenance(latest)}")
    conditional = [d for d in tally.positions.values() if d.condition]
    for declaration in conditional[:3]:
        context.append(f"Condition: {body.get(declaration.member).name}: {declaration.condition}")
    return Reply(
        title=f"{tracker.title} — as of {tally.as_of}",
        lines=tuple(lines),
        fields=tuple(fields),
        context=tuple(context),
        colour=tally_colour(tally),
        data=tally.to_data(),
    )


def _with_target(tally: Tally, code: str) -> str:
    declaration = tally.positions[code]
    candidate = tally.tracker.candidate_named(declaration.candidate_id)
    label = tally.body.get(code).label
    return f"{label} ({candidate.name})" if candidate else label


def declaration_data(declaration: Declaration, tracker: Tracker) -> dict[str, object]:
    candidate = tracker.candidate_named(declaration.candidate_id)
    return {
        "id": declaration.id,
        "tracker": tracker.slug,
        "member": declaration.member,
        "stance": str(declaration.stance),
        "candidate": candidate.name if candidate else None,
        "stage": declaration.stage,
        "date": declaration.made_on.isoformat(),
        "source": declaration.source,
        "quote": declaration.quote,
        "speaker": declaration.speaker,
        "confidence": (
            None if declaration.confidence is Confidence.UNSTATED else str(declaration.confidence)
        ),
        "condition": declaration.condition,
        "recorded_by": declaration.recorded_by,
        "recorded_at": declaration.recorded_at.isoformat(),
        "retracted": declaration.retraction.reason if declaration.retraction else None,
    }


def history_field(
    declaration: Declaration, tracker: Tracker, body: Body, as_of: date | None = None
) -> Field:
    """One declaration under a heading with its date (once); one made after `as_of` is marked,
    as it does not count in a reading of that day."""
    line = declaration_line(declaration, tracker, body)
    made = f"{declaration.made_on}"
    if as_of is not None and declaration.made_on > as_of:
        made += f" (after {as_of})"
    name = f"#{declaration.id} · {made} · {line}"
    said = provenance(declaration, dated=False)
    credited = credit(declaration)
    items = [
        *([said] if said else []),
        *([credited] if credited else []),
        *amendment_lines(declaration),
    ]
    if declaration.retraction:
        name = f"#{declaration.id} · {made} · RETRACTED"
        items = [
            f"was: {line}",
            f"retracted: {declaration.retraction.reason}",
        ]
    return Field(name, tuple(items), separator="\n")


_PLURAL_VERBS = {
    "backs": "back",
    "leans": "lean",
    "is": "are",
    "opposes": "oppose",
    "abstains": "abstain",
    "approves": "approve",
    "supports": "support",
}


def plural_verb(said: str) -> str:
    """'backs Mark Rutte' -> 'back Mark Rutte', for several members at once."""
    verb, _, rest = said.partition(" ")
    return " ".join(part for part in (_PLURAL_VERBS.get(verb, verb), rest) if part)


def who(ref: str) -> str:
    """'console:local:operator (Operator)' -> 'Operator': the name people know."""
    name = split_ref(ref)[1]
    return ref if name is None else name


SUGGESTED_CREDIT = "suggested by "
"""How a confirmed suggestion's declaration names both people in its recorded_by:
'slack:T1:U9 (suggested by Ann, confirmed by Bob)'."""


def credit(declaration: Declaration) -> str | None:
    """'suggested by Ann, confirmed by Bob' for a declaration a suggestion brought."""
    name = who(declaration.recorded_by)
    return name if name.startswith(SUGGESTED_CREDIT) else None


def amendment_lines(declaration: Declaration) -> list[str]:
    """'amended 2026-11-23 by Ann: quote → “...”' for each amendment, then the first record."""
    lines = []
    for amendment in declaration.amendments:
        changed = "; ".join(f"{name} → {value or '—'}" for name, value in amendment.changes)
        lines.append(
            f"amended {amendment.recorded_at:%Y-%m-%d %H:%M} UTC by "
            f"{who(amendment.recorded_by)}: {changed}"
        )
    if declaration.original:
        first = "; ".join(f"{name}: {value or '—'}" for name, value in declaration.original)
        lines.append(f"first recorded: {first}")
    return lines
