"""Write commands on declarations: declare a position (one member or a roll-call), retract a
wrongly recorded one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.commands.context import Context
from bot.commands.lifespan import check_within
from bot.commands.params import DATE, PROVENANCE, TRACKER_OPT
from bot.commands.reading import current_tally, when
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import (
    STANCE_ALIASES,
    Candidate,
    Confidence,
    Declaration,
    NewDeclaration,
    Stance,
    Tracker,
    TrackerKind,
    TrackerStatus,
)
from bot.errors import UserError
from bot.events import DomainEvent, EventKind
from bot.members import Body, Member, normalise
from bot.presentation import (
    colour_for,
    declaration_data,
    declaration_line,
    departed_note,
    describe_stance,
    headline,
    names,
    plural_verb,
    provenance,
)
from bot.replies import Reply, Visibility
from bot.tally import Tally


def find_candidate(tracker: Tracker, text: str) -> Candidate:
    """Full name, surname or a unique part of it: 'rutte' -> Mark Rutte."""
    key = normalise(text)
    exact = [c for c in tracker.candidates if normalise(c.name) == key]
    if exact:
        return exact[0]
    partial = [
        c
        for c in tracker.candidates
        if key and (key in normalise(c.name).split() or normalise(c.name).startswith(key))
    ]
    if not partial:
        partial = [c for c in tracker.candidates if key and key in normalise(c.name)]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(c.name for c in tracker.candidates) or "none yet"
    if partial:
        raise UserError(f"'{text}' matches several candidates: {names}. Give the full name.")
    raise UserError(f"No candidate '{text}' in {tracker.slug}. Candidates: {names}.")


def find_stage(tracker: Tracker, text: str) -> str:
    if not tracker.stages:
        raise UserError(f"{tracker.slug} has no stages: declare support or oppose without one.")
    key = normalise(text)
    for stage in tracker.stages:
        if normalise(stage) == key:
            return stage
    raise UserError(f"No stage '{text}' in {tracker.slug}. Stages: {', '.join(tracker.stages)}.")


@dataclass(frozen=True)
class DeclareArgs:
    member: str
    """One member, or several for a roll-call: AT,BE,BG."""
    stance: Stance
    target: str | None = None
    tracker: str | None = None
    made_on: date | None = None
    source: str | None = None
    quote: str | None = None
    speaker: str | None = None
    confidence: Confidence | None = None
    condition: str | None = None


def checked_declaration(
    ctx: Context, tracker: Tracker, args: DeclareArgs
) -> tuple[NewDeclaration, Member]:
    """Every check /tally declare makes, as the declaration it would record (not yet written).

    Shared with the CSV roll-call import so both accept and refuse exactly the same lines."""
    member = ctx.body(tracker).resolve(args.member)
    stance = args.stance
    made_on = args.made_on or ctx.today
    check_declarable(ctx, tracker, member, made_on)
    target = declaration_target(tracker, stance, args.target, made_on)
    before = None
    if target[1] is None and stance is Stance.SUPPORT and tracker.stages:
        before = ctx.repo.positions(tracker, made_on).get(member.code)
    return _new_declaration(ctx, tracker, member, args, target, before), member


def tally_lines(ctx: Context, tally: Tally, made_on: date) -> list[str]:
    """The tally after a declaration; for a past date whose members differ from today's (terms
    ended since), the tally of that day first, then today's, saying why they differ."""
    now = f"{when(tally, ctx.today)}: {headline(tally)}"
    if made_on >= tally.as_of or made_on < tally.tracker.opened:
        return [now]
    then = current_tally(ctx, tally.tracker, made_on)
    if {m.code for m in then.voters} == {m.code for m in tally.voters}:
        return [now]
    return [
        f"As of {made_on}: {headline(then)}",
        f"{when(tally, ctx.today)} (members have changed since {made_on}): {headline(tally)}",
        *filter(None, [departed_note(tally)]),
    ]


def declare(ctx: Context, args: DeclareArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    body = ctx.body(tracker)
    if "," in args.member:
        return roll_call(ctx, tracker, body, args)
    new, member = checked_declaration(ctx, tracker, args)
    made_on = new.made_on
    before = ctx.repo.positions(tracker, made_on).get(member.code)
    declaration = ctx.repo.add_declaration(new)
    ctx.emit(DomainEvent(EventKind.DECLARATION, tracker.id, made_on, declaration.id))
    lines = [provenance(declaration), change_line(declaration, before, tracker, member)]
    if not member.is_member_on(made_on):
        lines.append(f"{member.name} joins on {member.joined}; this counts from then.")
    tally = current_tally(ctx, tracker)
    lines += tally_lines(ctx, tally, made_on)
    return Reply(
        title=f"Recorded #{declaration.id}: {declaration_line(declaration, tracker, body)}",
        lines=tuple(lines),
        context=(
            f"Recorded by {ctx.actor.display_name}. Undo a mistake: /tally retract "
            f'{declaration.id} reason="..."',
        ),
        colour=colour_for(tally.verdict.outcome),
        visibility=Visibility.PUBLIC,
        data={"declaration": declaration_data(declaration, tracker), "tally": tally.to_data()},
    )


def roll_call(ctx: Context, tracker: Tracker, body: Body, args: DeclareArgs) -> Reply:
    """`declare AT,BE,BG support rutte`: every member or none, with every problem named."""
    stance = args.stance
    made_on = args.made_on or ctx.today
    check_within(tracker, made_on, ctx.today)
    target = declaration_target(tracker, stance, args.target, made_on)
    members: list[Member] = []
    problems: list[str] = []
    for word in (w.strip() for w in args.member.split(",")):
        try:
            member = body.resolve(word)
            if member in members:
                raise UserError(f"{member.name} is named twice.")
            _check_member(ctx, tracker, member, made_on)
            members.append(member)
        except UserError as exc:
            problems.append(exc.message if word else "An empty name between two commas.")
    if problems:
        raise UserError("Nothing recorded: " + " ".join(problems))
    positions = ctx.repo.positions(tracker, made_on)
    recorded = []
    for member in members:
        before = positions.get(member.code)
        new = _new_declaration(ctx, tracker, member, args, target, before)
        recorded.append((ctx.repo.add_declaration(new), before, member))
    ids = tuple(d.id for d, _, _ in recorded)
    ctx.emit(DomainEvent(EventKind.ROLL_CALL, tracker.id, made_on, declaration_ids=ids))
    first = recorded[0][0]
    tally = current_tally(ctx, tracker)
    said = describe_stance(first, tracker)
    lines = [provenance(first)]
    lines += [
        f"#{d.id} {member.name}: {change_line(d, before, tracker, member)}"
        for d, before, member in recorded
    ]
    lines += [
        f"{m.name} joins on {m.joined}; this counts from then."
        for m in members
        if not m.is_member_on(made_on)
    ]
    lines += tally_lines(ctx, tally, made_on)
    return Reply(
        title=f"Recorded {len(ids)} declarations: {names(body, [m.code for m in members])} "
        f"{plural_verb(said)}",
        lines=tuple(lines),
        context=(
            f"Recorded by {ctx.actor.display_name} in one roll-call. Undo a mistake: "
            '/tally retract ID reason="..."',
        ),
        colour=colour_for(tally.verdict.outcome),
        visibility=Visibility.PUBLIC,
        data={
            "declarations": [declaration_data(d, tracker) for d, _, _ in recorded],
            "tally": tally.to_data(),
        },
    )


def _new_declaration(
    ctx: Context,
    tracker: Tracker,
    member: Member,
    args: DeclareArgs,
    target: tuple[int | None, str | None],
    before: Declaration | None,
) -> NewDeclaration:
    stance = args.stance
    candidate_id, stage = target
    if (
        stage is None
        and stance is Stance.SUPPORT
        and before is not None
        and before.stance is Stance.SUPPORT
        and before.stage
    ):
        stage = before.stage  # reaffirmed support keeps the stage already reached
    return NewDeclaration(
        tracker_id=tracker.id,
        member=member.code,
        stance=stance,
        made_on=args.made_on or ctx.today,
        recorded_by=ctx.actor.ref,
        recorded_at=ctx.now,
        candidate_id=candidate_id,
        stage=stage,
        source=args.source,
        quote=args.quote,
        speaker=args.speaker,
        confidence=args.confidence or Confidence.UNSTATED,
        condition=args.condition,
    )


DECLARE = Command(
    path=("declare",),
    summary="Record a member's declared position (kept forever; a later one is a change).",
    handler=declare,
    args=DeclareArgs,
    moderator_only=True,
    params=(
        Param(
            "member",
            ParamKind.MEMBER,
            "Member state (code, name or alias), or several: AT,BE,BG.",
            required=True,
            positional=True,
        ),
        Param(
            "stance",
            ParamKind.CHOICE,
            "The position taken.",
            required=True,
            positional=True,
            choices=tuple(str(s) for s in Stance),
            aliases=tuple((k, str(v)) for k, v in STANCE_ALIASES.items()),
            enum=Stance,
        ),
        Param(
            "target",
            ParamKind.CANDIDATE,
            "The candidate (selection) or the stage reached (approval).",
            positional=True,
            greedy=True,
            metavar="CANDIDATE|STAGE",
        ),
        TRACKER_OPT,
        DATE,
        *PROVENANCE,
    ),
    examples=(
        '/tally declare LT support rutte date=2024-04-02 speaker="President Gitanas Nauseda"',
        "/tally declare HU support signature tracker=sweden-accession date=2024-03-05",
        "/tally declare AT,BE,BG support rutte date=2024-04-02 (a roll-call: all or none)",
    ),
)


def change_line(
    declaration: Declaration, before: Declaration | None, tracker: Tracker, member: Member
) -> str:
    if before is None:
        return f"No earlier declaration of {member.name} on record."
    if (before.stance, before.candidate_id, before.stage) == (
        declaration.stance,
        declaration.candidate_id,
        declaration.stage,
    ):
        return f"Same position as before ({before.made_on}, #{before.id})."
    return f"Change of position: was {describe_stance(before, tracker)} ({before.made_on})."


@dataclass(frozen=True)
class RetractArgs:
    declaration_id: int
    reason: str


def retract(ctx: Context, args: RetractArgs) -> Reply:
    declaration = ctx.repo.declaration(args.declaration_id)
    tracker = ctx.repo.tracker_by_id(declaration.tracker_id)
    body = ctx.body(tracker)
    if declaration.retraction:
        raise UserError(
            f"#{declaration.id} was already retracted: {declaration.retraction.reason}."
        )
    ctx.repo.retract(declaration.id, args.reason, ctx.actor.ref, ctx.now)
    ctx.emit(DomainEvent(EventKind.RETRACTION, tracker.id, declaration.made_on, declaration.id))
    tally = current_tally(ctx, tracker)
    line = declaration_line(declaration, tracker, body)
    return Reply(
        title=f"Retracted #{declaration.id}: {line}",
        lines=(f"Reason: {args.reason}", f"{when(tally, ctx.today)}: {headline(tally)}"),
        context=(f"Retracted by {ctx.actor.display_name}; it stays visible in the history.",),
        colour=colour_for(tally.verdict.outcome),
        visibility=Visibility.PUBLIC,
        data={
            "retracted": declaration.id,
            "reason": args.reason,
            "tally": tally.to_data(),
        },
    )


RETRACT = Command(
    path=("retract",),
    summary="Mark a wrongly recorded declaration void; it stays in the history.",
    handler=retract,
    args=RetractArgs,
    moderator_only=True,
    params=(
        Param(
            "declaration_id",
            ParamKind.INTEGER,
            "The id shown by /tally history (57 or #57).",
            required=True,
            positional=True,
            min_value=1,
            metavar="ID",
        ),
        Param("reason", ParamKind.TEXT, "Why it was wrong.", required=True, metavar='"..."'),
    ),
    examples=('/tally retract 12 reason="misattributed quote"',),
)


def check_declarable(ctx: Context, tracker: Tracker, member: Member, made_on: date) -> None:
    """May `member` declare on `tracker` on `made_on`? (the tracker's life, membership, taking
    part): what declare and suggest both check."""
    check_within(tracker, made_on, ctx.today)
    _check_member(ctx, tracker, member, made_on)


def _check_member(ctx: Context, tracker: Tracker, member: Member, made_on: date) -> None:
    if tracker.subject == member.code:
        raise UserError(f"{member.name} is the subject of {tracker.slug} and does not vote on it.")
    if member.left and made_on >= member.left:
        raise UserError(f"{member.name} left {ctx.body(tracker).in_sentence} on {member.left}.")
    closed = tracker.closed_on if tracker.status is not TrackerStatus.OPEN else None
    if closed and member.joined > closed:
        raise UserError(
            f"{member.name} joined {ctx.body(tracker).in_sentence} on {member.joined}, after "
            f"{tracker.slug} closed on {closed}: it never counts on this tracker."
        )
    gap = member.break_on(made_on)
    if gap:
        raise UserError(
            f"{member.name} was not a member of {ctx.body(tracker).in_sentence} from {gap[0]} "
            f"to {gap[1]}, between two terms."
        )
    if not tracker.rule.takes_part(member.code):
        raise UserError(
            f"{member.name} does not take part in {tracker.slug} (rule {tracker.rule}): a "
            "member not taking part may not declare."
        )


def declaration_target(
    tracker: Tracker, stance: Stance, target: str | None, made_on: date
) -> tuple[int | None, str | None]:
    """(candidate id, stage) a stance and its named target give, refused when they don't fit."""
    if tracker.kind is TrackerKind.APPROVAL:
        if target is None:
            return None, None
        if stance is not Stance.SUPPORT:
            raise UserError(f"A stage goes with support only, not with {stance}.")
        return None, find_stage(tracker, target)
    if not stance.names_candidate:
        if target:
            raise UserError(f"'{stance}' is about the whole race: leave out the candidate.")
        return None, None
    if target is None:
        active = tracker.active_candidates(made_on)
        if len(active) == 1:
            return active[0].id, None
        names = ", ".join(c.name for c in active) or "none"
        raise UserError(f"Which candidate? Name one after the stance: {names}.")
    candidate = find_candidate(tracker, target)
    if not candidate.is_active_on(made_on) and stance in (Stance.SUPPORT, Stance.LEAN_SUPPORT):
        raise UserError(f"{candidate.name} withdrew on {candidate.withdrawn_on}.")
    return candidate.id, None
