"""Fixing a tracker without erasing its past: edit its definition, add or rename a candidate,
reopen it, reinstate a withdrawn candidate, archive it. Each change is a tracker_events row
(kind, JSON detail of what changed) recorded with who and when."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.commands.context import Context
from bot.commands.lifespan import check_has_members, check_opened
from bot.commands.params import TRACKER_REQUIRED, VISIBILITY
from bot.commands.recording import find_candidate
from bot.commands.rule_options import (
    RULE_OPTION_PARAMS,
    RuleOptionArgs,
    check_rule_for_body,
    edited_rule,
    given_options,
)
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import Tracker, TrackerKind, TrackerStatus, TrackerVisibility
from bot.errors import UserError
from bot.members import Body, normalise
from bot.replies import Colour, Reply, Visibility
from bot.rules import OPTION_NAMES, RULE_NAMES, Rule
from bot.tally import Tally, compute_tally

EDITABLE = ("title", "opened", "rule", "body", "subject", "visibility")
SHOWN_CHANGES = 5
CHECKED_DATES = 1000
"""The latest declaration dates an edit is checked against (two tallies each, in the write)."""
NO_SUBJECT = ("none", "-")


@dataclass(frozen=True)
class EditArgs(RuleOptionArgs):
    tracker: str
    title: str | None = None
    opened: date | None = None
    rule: Rule | None = None
    body: str | None = None
    subject: str | None = None
    """A member, or none (or -) for no subject."""
    visibility: TrackerVisibility | None = None


def edit_tracker(ctx: Context, args: EditArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    asked = [name for name in (*EDITABLE, *OPTION_NAMES) if getattr(args, name) is not None]
    if not asked:
        raise UserError(
            "Nothing to change: give one or more of "
            + ", ".join(f"{name}=" for name in (*EDITABLE, *OPTION_NAMES))
            + ". An empty value changes nothing: write subject=none to clear the subject."
        )
    body = ctx.repo.body(args.body.lower()) if args.body is not None else ctx.body(tracker)
    values: dict[str, Any] = {}
    if args.title is not None:
        values["title"] = args.title
    if args.opened is not None:
        check_opened(args.opened, ctx.today, ctx.repo.first_declaration_on(tracker.id))
        if tracker.closed_on and args.opened > tracker.closed_on:
            raise UserError(f"opened={args.opened} is after it closed on {tracker.closed_on}.")
        values["opened"] = args.opened
    options = given_options(args)
    if options:
        values["rule"] = edited_rule(options, tracker.rule, body)
    if args.body is not None:
        _check_body(ctx, tracker, body)
        values["body"] = body.slug
    if args.subject is not None:
        text = args.subject
        values["subject"] = None if text.lower() in NO_SUBJECT else body.resolve(text).code
    elif (
        args.body is not None
        and tracker.subject
        and tracker.subject not in {m.code for m in body.members}
    ):
        raise UserError(
            f"The subject {tracker.subject} is not a member of {body.in_sentence}: "
            "give subject= too."
        )
    if args.visibility is not None:
        values["visibility"] = args.visibility
    if {"opened", "body", "subject"} & set(values):
        subject = values.get("subject", tracker.subject)
        check_has_members(body, values.get("opened", tracker.opened), subject)
    check_rule_for_body(values.get("rule", tracker.rule), body)
    changed = {
        name: [_text(getattr(tracker, name)), _text(value)]
        for name, value in values.items()
        if _text(getattr(tracker, name)) != _text(value)
    }
    if not changed:
        raise UserError(f"{tracker.slug} already reads like that: nothing changed.")
    edited = dataclasses.replace(tracker, **{k: v for k, v in values.items() if k in changed})
    recount = {"rule", "body", "subject"} & set(changed)
    outcomes = outcome_changes(ctx, tracker, edited, body) if recount else []
    ctx.repo.update_tracker(tracker.id, {name: values[name] for name in changed})
    _record(ctx, tracker, "edited", changed)
    lines = [f"{name}: {old or '—'} → {new or '—'}" for name, (old, new) in changed.items()]
    if recount:
        lines += outcome_lines(outcomes, len(ctx.repo.declaration_dates(tracker.id)))
    return Reply(
        title=f"Edited {tracker.slug}: {', '.join(changed)}",
        lines=tuple(lines),
        context=(f"Edited by {ctx.actor.display_name}; the edit shows in /tally history.",),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={
            "tracker": tracker.slug,
            "changed": changed,
            "outcome_changes": [
                {"date": day.isoformat(), "was": was, "now": now} for day, was, now in outcomes
            ],
        },
    )


EDIT = Command(
    path=("tracker", "edit"),
    summary="Change a tracker's title, opening, rule, body, subject or visibility.",
    handler=edit_tracker,
    args=EditArgs,
    moderator_only=True,
    params=(
        TRACKER_REQUIRED,
        Param("title", ParamKind.TEXT, "New title, in quotes.", metavar='"TITLE"'),
        Param("opened", ParamKind.DATE, "When the question opened.", metavar="YYYY-MM-DD"),
        Param(
            "rule",
            ParamKind.RULE,
            f"Decision rule: {', '.join(RULE_NAMES)}.",
            metavar="|".join(RULE_NAMES),
        ),
        Param("body", ParamKind.BODY, "Deciding body: nato or eu."),
        Param(
            "subject",
            ParamKind.MEMBER,
            "The member the question is about, or none.",
        ),
        VISIBILITY,
        *RULE_OPTION_PARAMS,
    ),
    examples=(
        "/tally tracker edit nato-sg-2024 rule=majority",
        '/tally tracker edit jha-2025 excluded="DK,IE"',
    ),
)


def outcome_changes(
    ctx: Context, old: Tracker, new: Tracker, new_body: Body
) -> list[tuple[date, str, str]]:
    """Each declaration date (and today) where the edit changes the verdict: (date, was, now)."""
    old_body = ctx.body(old)
    days = ctx.repo.declaration_dates(old.id)[-CHECKED_DATES:]
    if ctx.today not in days:
        days.append(ctx.today)
    found = []
    for day in days:
        positions = ctx.repo.positions(old, day)
        # A new body reads its own member list; otherwise the positions are the same.
        same_body = new.body == old.body
        then = positions if same_body else ctx.repo.positions(new, day)
        was = compute_tally(old, old_body, day, positions)
        now = compute_tally(new, new_body, day, then)
        if (was.verdict.outcome, was.leader) != (now.verdict.outcome, now.leader):
            leaders = was.leader != now.leader
            found.append((day, _verdict(was, leaders), _verdict(now, leaders)))
    return found


def outcome_lines(outcomes: list[tuple[date, str, str]], dates: int) -> list[str]:
    if not outcomes:
        if dates > CHECKED_DATES:
            return [f"No outcome changes on the latest {CHECKED_DATES} dates with declarations."]
        return ["No past outcome changes: the verdict reads the same on every date on record."]
    lines = [
        f"⚠️ This changes the outcome on {day}: was {was}, now {now}"
        for day, was, now in outcomes[:SHOWN_CHANGES]
    ]
    if len(outcomes) > SHOWN_CHANGES:
        lines.append(f"… and on {len(outcomes) - SHOWN_CHANGES} more dates.")
    return lines


def _verdict(tally: Tally, leaders: bool) -> str:
    """The outcome, with who leads when the edit changes the leader: 'reached (Mark Rutte)'."""
    outcome = str(tally.verdict.outcome)
    if not leaders:
        return outcome
    return f"{outcome} ({tally.leader.name if tally.leader else 'no leader'})"


def _check_body(ctx: Context, tracker: Tracker, body: Body) -> None:
    missing = sorted(ctx.repo.declared_members(tracker.id) - {m.code for m in body.members})
    if missing:
        raise UserError(
            f"{body.name} has no member {', '.join(missing)}, which declarations on "
            f"{tracker.slug} name: retract those first or choose another body."
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _record(ctx: Context, tracker: Tracker, kind: str, detail: dict[str, Any]) -> None:
    ctx.repo.add_tracker_event(
        tracker.id, kind, json.dumps(detail, ensure_ascii=False), ctx.today, ctx.actor.ref, ctx.now
    )


def _done(ctx: Context, tracker: Tracker, title: str, *lines: str, **data: Any) -> Reply:
    return Reply(
        title=title,
        lines=lines,
        context=(f"By {ctx.actor.display_name}; it shows in /tally history {tracker.slug}.",),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"tracker": tracker.slug, **data},
    )


def _selection(tracker: Tracker) -> None:
    if tracker.kind is not TrackerKind.SELECTION:
        raise UserError(f"{tracker.slug} is an approval: it has no candidates.")


def _unused_name(tracker: Tracker, name: str) -> str:
    name = name.strip()
    if not name:
        raise UserError("Give the candidate's name.")
    taken = next((c for c in tracker.candidates if normalise(c.name) == normalise(name)), None)
    if taken:
        raise UserError(f"{tracker.slug} already has a candidate {taken.name}.")
    return name


@dataclass(frozen=True)
class NameArgs:
    tracker: str
    name: str


def add_candidate(ctx: Context, args: NameArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    _selection(tracker)
    name = _unused_name(tracker, args.name)
    ctx.repo.add_candidate(tracker.id, name)
    _record(ctx, tracker, "candidate-added", {"candidate": name})
    return _done(ctx, tracker, f"{name} is now a candidate in {tracker.title}", candidate=name)


CANDIDATE_ADD = Command(
    path=("tracker", "candidate", "add"),
    summary="Add a candidate to a selection.",
    handler=add_candidate,
    args=NameArgs,
    moderator_only=True,
    params=(
        TRACKER_REQUIRED,
        Param(
            "name",
            ParamKind.TEXT,
            "The new candidate's name.",
            required=True,
            positional=True,
            greedy=True,
            metavar="NAME",
        ),
    ),
    examples=('/tally tracker candidate add nato-sg-2024 "Kaja Kallas"',),
)


@dataclass(frozen=True)
class RenameArgs:
    tracker: str
    name: str
    to: str


def rename_candidate(ctx: Context, args: RenameArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    _selection(tracker)
    candidate = find_candidate(tracker, args.name)
    new = args.to.strip()
    if normalise(new) != normalise(candidate.name):
        new = _unused_name(tracker, new)
    elif new == candidate.name:
        raise UserError(f"The candidate is already called {new}.")
    ctx.repo.rename_candidate(candidate.id, new)
    _record(ctx, tracker, "candidate-renamed", {"name": [candidate.name, new]})
    return _done(
        ctx,
        tracker,
        f"Renamed {candidate.name} to {new} in {tracker.title}",
        "Declarations that named them now read with the new name.",
        candidate=new,
        was=candidate.name,
    )


CANDIDATE_RENAME = Command(
    path=("tracker", "candidate", "rename"),
    summary="Correct a candidate's name (declarations follow).",
    handler=rename_candidate,
    args=RenameArgs,
    moderator_only=True,
    params=(
        TRACKER_REQUIRED,
        Param(
            "name",
            ParamKind.CANDIDATE,
            "The candidate, as now named.",
            required=True,
            positional=True,
            greedy=True,
            metavar="NAME",
        ),
        Param("to", ParamKind.TEXT, "The new name.", required=True, metavar='"NAME"'),
    ),
    examples=('/tally tracker candidate rename nato-sg-2024 rute to="Mark Rutte"',),
)


@dataclass(frozen=True)
class CandidateArgs:
    tracker: str
    candidate: str


def reinstate_candidate(ctx: Context, args: CandidateArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    _selection(tracker)
    candidate = find_candidate(tracker, args.candidate)
    if candidate.withdrawn_on is None:
        raise UserError(f"{candidate.name} has not withdrawn: nothing to undo.")
    ctx.repo.reinstate_candidate(candidate.id)
    _record(
        ctx,
        tracker,
        "reinstated",
        {"candidate": candidate.name, "withdrawn_on": candidate.withdrawn_on.isoformat()},
    )
    return _done(
        ctx,
        tracker,
        f"{candidate.name} is back in {tracker.title}",
        f"The withdrawal of {candidate.withdrawn_on} is undone; it stays in the history.",
        candidate=candidate.name,
    )


REINSTATE = Command(
    path=("tracker", "reinstate"),
    summary="Undo a candidate's withdrawal.",
    handler=reinstate_candidate,
    args=CandidateArgs,
    moderator_only=True,
    params=(
        TRACKER_REQUIRED,
        Param(
            "candidate",
            ParamKind.CANDIDATE,
            "The withdrawn candidate.",
            required=True,
            positional=True,
            greedy=True,
        ),
    ),
    examples=("/tally tracker reinstate nato-sg-2024 iohannis",),
)


@dataclass(frozen=True)
class TrackerArgs:
    tracker: str


def reopen_tracker(ctx: Context, args: TrackerArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    if tracker.status is TrackerStatus.OPEN:
        raise UserError(f"{tracker.slug} is already open.")
    was = {
        "status": str(tracker.status),
        "outcome": tracker.outcome,
        "closed_on": _text(tracker.closed_on),
    }
    values: dict[str, Any] = {"status": TrackerStatus.OPEN, "outcome": None, "closed_on": None}
    lines = [f"It was {tracker.status} on {tracker.closed_on}: {tracker.outcome or '—'} (kept)."]
    if tracker.archived:
        values["archived_at"] = None
        was["archived_at"] = _text(tracker.archived_at)
        lines.append("It was archived: reopening brings it back to /tally trackers.")
    ctx.repo.update_tracker(tracker.id, values)
    _record(ctx, tracker, "reopened", was)
    return _done(ctx, tracker, f"{tracker.title} is open again", *lines, status="open")


REOPEN = Command(
    path=("tracker", "reopen"),
    summary="Open a decided or abandoned tracker again (its close stays in history).",
    handler=reopen_tracker,
    args=TrackerArgs,
    moderator_only=True,
    params=(TRACKER_REQUIRED,),
    examples=("/tally tracker reopen nato-sg-2024",),
)


def archive_tracker(ctx: Context, args: TrackerArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    if tracker.archived:
        raise UserError(
            f"{tracker.slug} is already archived (since {tracker.archived_at:%Y-%m-%d})."
        )
    ctx.repo.update_tracker(tracker.id, {"archived_at": ctx.now})
    _record(ctx, tracker, "archived", {"archived": True})
    return _done(
        ctx,
        tracker,
        f"Archived {tracker.slug}",
        "Hidden from /tally trackers and never picked when no tracker is named; still readable "
        f"as /tally {tracker.slug}. Bring it back with /tally tracker unarchive {tracker.slug}.",
        archived=True,
    )


ARCHIVE = Command(
    path=("tracker", "archive"),
    summary="Hide a tracker from /tally trackers; it stays readable by name.",
    handler=archive_tracker,
    args=TrackerArgs,
    moderator_only=True,
    params=(TRACKER_REQUIRED,),
    examples=("/tally tracker archive nato-sg-2024",),
)


def unarchive_tracker(ctx: Context, args: TrackerArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    if not tracker.archived:
        raise UserError(f"{tracker.slug} is not archived.")
    ctx.repo.update_tracker(tracker.id, {"archived_at": None})
    _record(ctx, tracker, "unarchived", {"archived": False})
    return _done(ctx, tracker, f"{tracker.slug} is back in /tally trackers", archived=False)


UNARCHIVE = Command(
    path=("tracker", "unarchive"),
    summary="Bring an archived tracker back to /tally trackers.",
    handler=unarchive_tracker,
    args=TrackerArgs,
    moderator_only=True,
    params=(TRACKER_REQUIRED,),
)
