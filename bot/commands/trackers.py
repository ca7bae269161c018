"""Write commands on trackers: open one, withdraw a candidate, close it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.commands.bodies import DEFAULT_BODY, body_line
from bot.commands.context import Context
from bot.commands.converters import MAX_NAME
from bot.commands.lifespan import check_close, check_has_members, check_opened, check_within
from bot.commands.params import DATE, TRACKER_REQUIRED, VISIBILITY
from bot.commands.reading import current_tally, when
from bot.commands.recording import find_candidate
from bot.commands.rule_options import (
    RULE_OPTION_PARAMS,
    RuleOptionArgs,
    given_options,
    rule_from_args,
)
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import TrackerKind, TrackerStatus, TrackerVisibility
from bot.errors import UserError
from bot.events import DomainEvent, EventKind
from bot.members import normalise
from bot.presentation import headline
from bot.replies import Colour, Reply, Visibility
from bot.rules import RULE_NAMES, Rule

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
RESERVED = {
    "bodies",
    "position",
    "holdouts",
    "history",
    "trackers",
    "declare",
    "retract",
    "tracker",
    "moderator",
    "help",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "amend",
    "export",
}


def check_slug(text: str) -> str:
    """A tracker name: 2-40 lower-case letters, digits and dashes, and no command word (a
    tracker named `help` could never be read as `/tally help`)."""
    slug = text.strip().lower()
    if not SLUG.match(slug) or slug in RESERVED:
        raise UserError(
            f"'{text}' can't be a tracker name: use 2-40 lower-case letters, digits and "
            "dashes (e.g. nato-sg-2024), and not a command word."
        )
    return slug


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


@dataclass(frozen=True)
class NewTrackerArgs(RuleOptionArgs):
    slug: str
    title: str
    kind: TrackerKind
    rule: Rule
    body: str | None = None
    candidates: str | None = None
    stages: str | None = None
    opened: date | None = None
    subject: str | None = None
    visibility: TrackerVisibility | None = None


def new_tracker(ctx: Context, args: NewTrackerArgs) -> Reply:
    slug = check_slug(args.slug)
    if ctx.repo.tracker_exists(slug):
        raise UserError(f"A tracker named {slug} already exists.")
    kind = args.kind
    body = ctx.repo.body((args.body or DEFAULT_BODY).lower())
    candidates = _split(args.candidates)
    stages = _split(args.stages)
    if kind is TrackerKind.SELECTION and not candidates:
        raise UserError('A selection needs candidates: candidates="Mark Rutte,Klaus Iohannis".')
    if kind is TrackerKind.APPROVAL and candidates:
        raise UserError("An approval is one yes/no question: leave out candidates=.")
    if kind is TrackerKind.SELECTION and stages:
        raise UserError("Stages belong to approvals (parliament,signature,deposit).")
    for listed in (candidates, stages):
        if len({normalise(item) for item in listed}) != len(listed):
            raise UserError(f"Listed twice (ignoring case and accents): {', '.join(listed)}.")
    rule = rule_from_args(given_options(args), args.rule, body)
    subject = body.resolve(args.subject).code if args.subject else None
    opened = args.opened or ctx.today
    check_opened(opened, ctx.today)
    check_has_members(body, opened, subject)
    voters = len(
        [m for m in body.members_on(opened) if m.code != subject and rule.takes_part(m.code)]
    )
    tracker = ctx.repo.create_tracker(
        slug=slug,
        title=args.title,
        body=body.slug,
        kind=kind,
        rule=rule,
        opened=opened,
        candidates=candidates,
        stages=stages,
        subject=subject,
        created_by=ctx.actor.ref,
        now=ctx.now,
        visibility=args.visibility or TrackerVisibility.PRIVATE,
    )
    ctx.emit(DomainEvent(EventKind.OPENED, tracker.id, opened, detail=tracker.title))
    lines = [f"{kind} · {rule.describe(voters)}", body_line(body, args.body is not None)]
    if candidates:
        lines.append(f"Candidates: {', '.join(candidates)}")
    if stages:
        lines.append(f"Stages: {' → '.join(stages)} (approved at {stages[-1]})")
    return Reply(
        title=f"New tracker {slug}: {tracker.title}",
        lines=tuple(lines),
        context=(f"Record positions with /tally declare MEMBER STANCE tracker={slug}",),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"tracker": slug, "kind": str(kind), "rule": str(rule), "body": body.slug},
    )


NEW_TRACKER = Command(
    path=("tracker", "new"),
    summary="Open a tracker: a selection (candidates) or an approval (optional stages).",
    handler=new_tracker,
    args=NewTrackerArgs,
    moderator_only=True,
    params=(
        Param(
            "slug",
            ParamKind.TEXT,
            "Short name, e.g. nato-sg-2024.",
            required=True,
            positional=True,
        ),
        Param(
            "title",
            ParamKind.TEXT,
            "Title, in quotes.",
            required=True,
            positional=True,
            greedy=True,
            metavar='"TITLE"',
            max_length=MAX_NAME,
        ),
        Param(
            "kind",
            ParamKind.CHOICE,
            "selection or approval.",
            required=True,
            choices=tuple(str(k) for k in TrackerKind),
            enum=TrackerKind,
        ),
        Param(
            "rule",
            ParamKind.RULE,
            f"Decision rule: {', '.join(RULE_NAMES)}.",
            required=True,
            metavar="|".join(RULE_NAMES),
        ),
        Param(
            "body",
            ParamKind.BODY,
            "Deciding body: nato (default), eu, or one imported (see /tally bodies).",
        ),
        Param("candidates", ParamKind.TEXT, "Comma-separated, for a selection.", metavar='"A,B"'),
        Param(
            "stages",
            ParamKind.TEXT,
            "Comma-separated, in order, for an approval.",
            metavar='"parliament,signature"',
        ),
        Param(
            "opened",
            ParamKind.DATE,
            "When the question opened; default today.",
            metavar="YYYY-MM-DD",
        ),
        Param(
            "subject",
            ParamKind.MEMBER,
            "A member the question is about (an applicant); it never votes on it.",
        ),
        VISIBILITY,
        *RULE_OPTION_PARAMS,
    ),
    examples=(
        '/tally tracker new nato-sg-2024 "NATO Secretary General 2024" kind=selection '
        'rule=unanimity candidates="Mark Rutte,Klaus Iohannis"',
        '/tally tracker new gaza-2023 "Gaza ceasefire draft" kind=approval body=unsc '
        'rule=threshold=9 veto="CN,FR,GB,RU,US"',
    ),
)


@dataclass(frozen=True)
class WithdrawArgs:
    tracker: str
    candidate: str
    made_on: date | None = None


def withdraw_candidate(ctx: Context, args: WithdrawArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    if tracker.kind is not TrackerKind.SELECTION:
        raise UserError(f"{tracker.slug} is an approval: it has no candidates to withdraw.")
    candidate = find_candidate(tracker, args.candidate)
    if candidate.withdrawn_on:
        raise UserError(f"{candidate.name} already withdrew on {candidate.withdrawn_on}.")
    on = args.made_on or ctx.today
    check_within(tracker, on, ctx.today)
    ctx.repo.withdraw_candidate(candidate.id, on)
    ctx.repo.add_tracker_event(tracker.id, "withdrawn", candidate.name, on, ctx.actor.ref, ctx.now)
    ctx.emit(DomainEvent(EventKind.WITHDRAWAL, tracker.id, on, detail=candidate.name))
    tally = current_tally(ctx, ctx.repo.tracker_by_id(tracker.id))
    return Reply(
        title=f"{candidate.name} withdrew from {tracker.title} on {on}",
        lines=(f"{when(tally, ctx.today)}: {headline(tally)}",),
        context=(f"Recorded by {ctx.actor.display_name}.",),
        visibility=Visibility.PUBLIC,
        data={"tracker": tracker.slug, "withdrawn": candidate.name, "date": on.isoformat()},
    )


WITHDRAW = Command(
    path=("tracker", "withdraw"),
    summary="A candidate withdraws (the tally shows it).",
    handler=withdraw_candidate,
    args=WithdrawArgs,
    moderator_only=True,
    params=(
        TRACKER_REQUIRED,
        Param(
            "candidate",
            ParamKind.CANDIDATE,
            "Who withdraws.",
            required=True,
            positional=True,
            greedy=True,
        ),
        DATE,
    ),
)


@dataclass(frozen=True)
class CloseArgs:
    tracker: str
    outcome: str
    status: TrackerStatus | None = None
    made_on: date | None = None


def close_tracker(ctx: Context, args: CloseArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    if tracker.status is not TrackerStatus.OPEN:
        raise UserError(f"{tracker.slug} is already {tracker.status} ({tracker.outcome}).")
    status = args.status or TrackerStatus.DECIDED
    on = args.made_on or ctx.today
    check_close(tracker, on, ctx.today, ctx.repo.last_declaration_on(tracker.id))
    ctx.repo.close_tracker(tracker.id, status, args.outcome, on)
    ctx.repo.add_tracker_event(tracker.id, str(status), args.outcome, on, ctx.actor.ref, ctx.now)
    ctx.emit(DomainEvent(EventKind.CLOSED, tracker.id, on, detail=args.outcome))
    return Reply(
        title=f"{tracker.title}: {status} on {on}",
        lines=(args.outcome,),
        context=(f"Closed by {ctx.actor.display_name}. Its tally and history stay readable.",),
        colour=Colour.REACHED if status is TrackerStatus.DECIDED else Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"tracker": tracker.slug, "status": str(status), "outcome": args.outcome},
    )


CLOSE = Command(
    path=("tracker", "close"),
    summary="Close a tracker as decided or abandoned.",
    handler=close_tracker,
    args=CloseArgs,
    moderator_only=True,
    params=(
        TRACKER_REQUIRED,
        Param(
            "outcome",
            ParamKind.TEXT,
            "What was decided, in quotes.",
            required=True,
            metavar='"..."',
        ),
        Param(
            "status",
            ParamKind.CHOICE,
            "decided (default) or abandoned.",
            choices=(str(TrackerStatus.DECIDED), str(TrackerStatus.ABANDONED)),
            enum=TrackerStatus,
        ),
        DATE,
    ),
)
