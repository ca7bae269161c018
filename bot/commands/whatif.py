"""/tally whatif and /tally paths: the outcome if members took other stances, and the fewest
members whose support would meet the rule. Nothing is recorded: both only read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.commands.context import Context
from bot.commands.params import AS_OF, TRACKER_OPT, TRACKER_POS
from bot.commands.reading import current_tally
from bot.commands.recording import find_candidate
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import STANCE_ALIASES, Candidate, Stance, Tracker, TrackerKind, TrackerStatus
from bot.errors import UserError
from bot.members import Body
from bot.presentation import colour_for, headline, names, stance_text
from bot.replies import Field, Reply, fit_items
from bot.rules import WEIGHED_KINDS, Abstention
from bot.tally import Tally
from bot.whatif import PATHS_BUDGET, Hypothesis, Paths, apply, paths, population_share


def parse_stance(word: str) -> Stance | None:
    key = word.strip().lower()
    if key in {str(s) for s in Stance}:
        return Stance(key)
    return STANCE_ALIASES.get(key)


def parse_hypotheses(
    text: str, body: Body, candidate: Candidate | None, voters: set[str]
) -> list[Hypothesis]:
    """'HU support PL oppose' or 'North Macedonia no': the words before each stance name a
    member; a member named twice is a mistake, not a correction."""
    found: list[Hypothesis] = []
    words: list[str] = []
    for word in text.split():
        stance = parse_stance(word)
        if stance is None:
            words.append(word)
            continue
        if not words:
            raise UserError(f"Name a member before '{word}': e.g. /tally whatif HU support.")
        member = body.resolve(" ".join(words))
        if member.code not in voters:
            raise UserError(f"{member.name} does not vote on this tally.")
        if any(h.member == member.code for h in found):
            raise UserError(f"{member.name} is named twice: give each member one stance.")
        found.append(Hypothesis(member.code, stance, candidate))
        words = []
    if words:
        stances = ", ".join(str(s) for s in Stance)
        raise UserError(
            f"No stance after '{' '.join(words)}': give one of {stances} (name the tracker "
            "with tracker=SLUG, or as the last word)."
        )
    if not found:
        raise UserError("Give at least one MEMBER STANCE pair, e.g. /tally whatif HU support.")
    return found


CANDIDATE_FOR = Param(
    "candidate",
    ParamKind.CANDIDATE,
    "Whom support goes to (a selection); default the leader.",
    metavar="NAME",
)


@dataclass(frozen=True)
class WhatIfArgs:
    changes: str
    """Pairs of member and stance: HU support PL oppose."""
    tracker: str | None = None
    candidate: str | None = None
    as_of: date | None = None


@dataclass(frozen=True)
class PathsArgs:
    tracker: str | None = None
    candidate: str | None = None
    as_of: date | None = None


def _candidate(tracker: Tracker, text: str | None) -> Candidate | None:
    if not text:
        return None
    if tracker.kind is not TrackerKind.SELECTION:
        raise UserError(f"{tracker.slug} is an approval: it has no candidates.")
    return find_candidate(tracker, text)


def _default_candidate(tally: Tally, chosen: Candidate | None) -> Candidate | None:
    if chosen or tally.tracker.kind is not TrackerKind.SELECTION:
        return chosen
    if tally.leader:
        return tally.leader
    raise UserError("Nobody leads: say whom the support goes to with candidate=NAME.")


def _trailing_tracker(ctx: Context, args: WhatIfArgs) -> WhatIfArgs:
    """'/tally whatif DE support jha': a last word that is no stance but a tracker's name is
    the tracker, as in every other command that takes one by position."""
    *rest, last = args.changes.split() or [""]
    if args.tracker or parse_stance(last) is not None or not ctx.repo.tracker_exists(last.lower()):
        return args
    return replace(args, changes=" ".join(rest), tracker=last.lower())


def what_if(ctx: Context, args: WhatIfArgs) -> Reply:
    args = _trailing_tracker(ctx, args)
    try:
        tracker = ctx.tracker(args.tracker)
    except UserError as exc:
        if args.tracker:
            raise
        raise UserError(
            f"{str(exc).removesuffix(': name one.').rstrip('.')}: name the tracker with "
            "tracker=SLUG, or as the last word "
            "(/tally whatif DE support SLUG)."
        ) from None
    tally = current_tally(ctx, tracker, args.as_of)
    voters = {m.code for m in tally.voters}
    hypotheses = parse_hypotheses(
        args.changes,
        tally.body,
        _candidate_for(tally, _candidate(tracker, args.candidate), args.changes),
        voters,
    )
    after = apply(tally, hypotheses)
    said = ", ".join(
        f"{tally.body.get(h.member).name} {_stance_words(h, tracker)}" for h in hypotheses
    )
    turned = tally.verdict.outcome is not after.verdict.outcome
    change = (
        f"The outcome turns from {tally.verdict.outcome} to {after.verdict.outcome}."
        if turned
        else f"The outcome stays {after.verdict.outcome}."
    )
    return Reply(
        title=f"What if — {tracker.title} — as of {tally.as_of}",
        lines=(f"If {said}:", f"Now: {headline(tally)}", f"Then: {headline(after)}", change),
        context=("Hypothetical: nothing is recorded.",),
        colour=colour_for(after.verdict.outcome),
        data={
            "tracker": tracker.slug,
            "as_of": tally.as_of.isoformat(),
            "hypotheses": [
                {
                    "member": h.member,
                    "stance": str(h.stance),
                    "candidate": h.candidate.name if h.candidate else None,
                }
                for h in hypotheses
            ],
            "before": _summary(tally),
            "after": _summary(after),
        },
    )


def _candidate_for(tally: Tally, chosen: Candidate | None, text: str) -> Candidate | None:
    """Support or opposition in a selection is about someone: the leader unless named."""
    naming = any((s := parse_stance(w)) is not None and s.names_candidate for w in text.split())
    return _default_candidate(tally, chosen) if naming else chosen


def _holding_out(tally: Tally, found: Paths) -> list[str]:
    """Who must change before any set can meet the rule: a veto, a constructive abstention."""
    rule = tally.tracker.rule
    lines = []
    vetoers = [c for c in found.must if c in tally.verdict.vetoed_by]
    if vetoers:
        lines.append(
            f"Blocked by the veto of {names(tally.body, vetoers)} while "
            f"{'they oppose' if len(vetoers) > 1 else 'it opposes'}: every set includes "
            f"{'them' if len(vetoers) > 1 else 'it'}."
        )
    abstainers = [c for c in found.must if c in tally.abstaining]
    if abstainers and rule.abstention is Abstention.CONSTRUCTIVE:
        lines.append(
            f"Blocked by the constructive abstention of {names(tally.body, abstainers)}: "
            "every set includes them (Art. 31(1) TEU)."
        )
    if tally.tracker.status is not TrackerStatus.OPEN:
        lines.append(f"This tracker is {tally.tracker.status}: these paths are hypothetical.")
    return lines


def _stance_words(hypothesis: Hypothesis, tracker: Tracker) -> str:
    return stance_text(hypothesis.stance, tracker, hypothesis.candidate)


def _summary(tally: Tally) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "outcome": str(tally.verdict.outcome),
        "supporting": len(tally.supporters),
        "required": tally.verdict.required,
        "needed": tally.verdict.needed,
        "blocked_by": list(tally.verdict.blocked_by),
        "leader": tally.leader.name if tally.leader else None,
    }
    if tally.verdict.population_share is not None:
        summary["population_share"] = round(tally.verdict.population_share, 4)
    return summary


def show_paths(ctx: Context, args: PathsArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    tally = current_tally(ctx, tracker, args.as_of)
    target = _candidate(tracker, args.candidate)
    if target is None and tracker.kind is TrackerKind.SELECTION:
        active = [s.candidate for s in tally.standings if s.active]
        target = tally.leader or (active[0] if active else None)
    found = paths(tally, target)
    body = tally.body
    whose = f" behind {target.name}" if target else ""
    lines: list[str] = [headline(tally)]
    fields: list[Field] = []
    qmv = tracker.rule.kind in WEIGHED_KINDS
    lines.extend(_holding_out(tally, found))
    if found.size is None:
        lines.append(
            "No set of the members not yet counted can meet the rule"
            + (" within the search limit." if found.cut else ".")
        )
    elif found.size == 0:
        lines.append(
            "The count is met among those voting so far: no one else is needed while it holds."
            if tally.verdict.provisional
            else "The rule is already met: no one else is needed."
        )
    elif found.any_of_pool:
        lines.append(
            f"Any {found.size} of these {len(found.pool)} members{whose} would meet the rule "
            f"({found.total:,} ways)."
        )
        fields.append(Field("Not yet counted", tuple(body.get(c).name for c in found.pool)))
    elif found.ways:
        members = "member" if found.size == 1 else "members"
        lines.append(
            f"Smallest: {found.size} more {members}{whose} ({found.total:,} sets). "
            f"{len(found.ways)} way{'s' if len(found.ways) > 1 else ''}:"
        )
        for number, way in enumerate(found.ways, start=1):
            picks = tuple(
                f"{'all of' if p.take == len(p.of) else f'any {p.take} of'}: "
                + fit_items([body.get(c).name for c in p.of], 900)
                for p in way
            )
            fields.append(Field(f"{number}. {found.size} {members}", picks, separator="\n"))
    else:
        many = "set" if len(found.sets) == 1 else "sets"
        members = "member" if found.size == 1 else "members"
        lines.append(f"Smallest: {found.size} more {members}{whose}. {len(found.sets)} {many}:")
        for number, codes in enumerate(found.sets, start=1):
            detail = [fit_items([body.get(c).name for c in codes], 900)]
            if qmv:
                counted = len(tally.supporters) + len(codes)
                share = population_share(tally, [*tally.supporters, *codes])
                detail.append(
                    f"then {counted} of {len(tally.voters)} members (needs "
                    f"{tally.verdict.required}) and {share:.1%} of population (needs 65%)"
                )
            fields.append(Field(f"{number}. {', '.join(codes)}", tuple(detail), separator="\n"))
    context = ["Drawn from members not yet counted: undecided, opposing, leaning, undeclared."]
    if tally.tracker.rule.abstention is Abstention.CONSTRUCTIVE and tally.abstaining:
        context.append(
            "Abstainers are taken largest population first: another of them may do as well."
        )
    if found.cut:
        context.append(
            f"Search cut after {PATHS_BUDGET:,} combinations: other sets of this size may exist."
        )
    elif found.total and not found.any_of_pool and not found.ways and found.total > len(found.sets):
        context.append(f"{len(found.sets)} of {found.total:,} sets of this size shown.")
    return Reply(
        title=f"Paths to the rule — {tracker.title} — as of {tally.as_of}",
        lines=tuple(lines),
        fields=tuple(fields),
        context=tuple(context),
        colour=colour_for(tally.verdict.outcome),
        data={
            "tracker": tracker.slug,
            "as_of": tally.as_of.isoformat(),
            "candidate": target.name if target else None,
            "size": found.size,
            "sets": [list(s) for s in found.sets],
            "any_of": list(found.pool) if found.any_of_pool else None,
            "ways": [[{"take": p.take, "of": list(p.of)} for p in way] for way in found.ways],
            "must": list(found.must),
            "total": found.total,
            "cut": found.cut,
            "tried": found.tried,
        },
    )


WHATIF = Command(
    path=("whatif",),
    summary="The outcome if these members took these stances (nothing is recorded).",
    handler=what_if,
    args=WhatIfArgs,
    params=(
        Param(
            "changes",
            ParamKind.TEXT,
            "Pairs of member and stance: HU support PL oppose.",
            required=True,
            positional=True,
            greedy=True,
            metavar="MEMBER STANCE [MEMBER STANCE ...]",
        ),
        TRACKER_OPT,
        CANDIDATE_FOR,
        AS_OF,
    ),
    examples=("/tally whatif HU support", "/tally whatif DE oppose FR oppose tracker=eu-act"),
)

PATHS = Command(
    path=("paths",),
    summary="The fewest members whose support would meet the rule (qmv: members and population).",
    handler=show_paths,
    args=PathsArgs,
    params=(TRACKER_POS, CANDIDATE_FOR, AS_OF),
    examples=("/tally paths nato-sg-2024",),
)
