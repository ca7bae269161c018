"""Read commands: the tally, a member's position, the holdouts, the history, the trackers."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.commands.amending import declaration_id
from bot.commands.context import Context
from bot.commands.params import AS_OF, TRACKER_POS
from bot.commands.spec import Command, NoArgs, Param, ParamKind
from bot.domain import Declaration, Tracker, TrackerStatus
from bot.errors import UserError
from bot.history import day_fields, event_data
from bot.holdouts import holdout_fields, holdout_groups, holdouts_line
from bot.members import Member
from bot.presentation import (
    declaration_data,
    declaration_line,
    headline,
    history_field,
    tally_colour,
    tally_reply,
)
from bot.replies import Colour, Field, Reply
from bot.tally import Tally, closed_on, compute_tally, future_as_of, reading_day


def current_tally(ctx: Context, tracker: Tracker, as_of: date | None = None) -> Tally:
    """The tally on `as_of`; without one, today's, or a closed tracker's on its closing day.

    A date before the tracker opened has no tally: the reply names the opening date.
    """
    if future := future_as_of(as_of, ctx.today):
        raise UserError(future)
    day = reading_day(tracker, as_of, ctx.today)
    if day < tracker.opened:
        raise UserError(
            f"{tracker.slug} opened on {tracker.opened}: there is no tally on {day}. "
            f"Give as_of={tracker.opened} or later."
        )
    tally = compute_tally(tracker, ctx.body(tracker), day, ctx.repo.positions(tracker, day))
    if not tally.voters:
        raise UserError(
            f"{tally.body.name} had no members on {tally.as_of}: there is nothing to count. "
            "Give a later as_of=."
        )
    return tally


def when(tally: Tally, today: date) -> str:
    """'Now' for today's tally, 'As of 2024-04-02' for any other day."""
    return "Now" if tally.as_of == today else f"As of {tally.as_of}"


@dataclass(frozen=True)
class ReadArgs:
    tracker: str | None = None
    as_of: date | None = None


def show_tally(ctx: Context, args: ReadArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    return with_page_link(ctx, tracker, tally_reply(current_tally(ctx, tracker, args.as_of)))


def with_page_link(ctx: Context, tracker: Tracker, reply: Reply) -> Reply:
    """A public tracker's reply ends with "View online" and its page address."""
    url = ctx.page_url(tracker)
    if url is None:
        return reply
    return dataclasses.replace(
        reply, context=(*reply.context, f"View online: {url}"), data={**reply.data, "url": url}
    )


TALLY = Command(
    path=(),
    summary="Where a tracked decision stands: support, opposition, holdouts, the rule.",
    handler=show_tally,
    args=ReadArgs,
    params=(TRACKER_POS, AS_OF),
    examples=("/tally nato-sg-2024 as_of=2024-04-02",),
)


@dataclass(frozen=True)
class PositionArgs:
    member: str
    tracker: str | None = None
    as_of: date | None = None


def show_position(ctx: Context, args: PositionArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    body = ctx.body(tracker)
    member = body.resolve(args.member)
    tally = current_tally(ctx, tracker, args.as_of)
    history = ctx.repo.history(tracker.id, member.code, limit=10)
    current = tally.positions.get(member.code)
    if member.code == tracker.subject:
        now = "is the subject of this tracker and does not vote on it"
    elif current:
        now = f"{declaration_line(current, tracker, body)} (since {current.made_on})"
    elif member not in tally.voters:
        now = not_voting(member, tracker, tally)
    else:
        now = f"{member.label} has not declared"
    lines = [f"{when(tally, ctx.today)}: {now}", headline(tally)]
    fields = [history_field(d, tracker, body, args.as_of) for d in history]
    if not history:
        lines.append("No declarations recorded yet.")
    return Reply(
        title=f"{member.label} on {tracker.title}",
        lines=tuple(lines),
        fields=tuple(fields),
        context=(position_note(history, args.as_of),),
        colour=tally_colour(tally),
        data={
            "tracker": tracker.slug,
            "member": member.code,
            "as_of": tally.as_of.isoformat(),
            "position": declaration_data(current, tracker) if current else None,
            "history": [declaration_data(d, tracker) for d in history],
        },
    )


def position_note(history: list[Declaration], as_of: date | None) -> str:
    """'Newest first; 2 shown ...': which entries a reading as of a day leaves out of its count."""
    later = [d for d in history if as_of is not None and d.made_on > as_of]
    note = f"Newest first; {len(history)} shown"
    if later:
        note += f", those marked after {as_of} do not count in this reading"
    return f"{note}. Ids are for /tally retract and /tally amend."


POSITION = Command(
    path=("position",),
    summary="A member's position and its history, with sources.",
    handler=show_position,
    args=PositionArgs,
    params=(
        Param(
            "member",
            ParamKind.MEMBER,
            "Member state: code, name or alias.",
            required=True,
            positional=True,
        ),
        TRACKER_POS,
        AS_OF,
    ),
    examples=("/tally position HU", "/tally position Hungary nato-sg-2024"),
)


def not_voting(member: Member, tracker: Tracker, tally: Tally) -> str:
    """Why a member of the body is not among this tally's voters."""
    if not tracker.rule.takes_part(member.code):
        return f"{member.label} does not take part in {tracker.slug} (rule {tracker.rule})"
    gap = member.break_on(tally.as_of)
    if gap:
        return f"{member.label} is between two terms on {tally.as_of} ({gap[0]} to {gap[1]})"
    closed = closed_on(tracker)
    if closed and member.joined > closed:
        return (
            f"{member.label} joined on {member.joined}, after {tracker.slug} closed on {closed}: "
            "it does not count"
        )
    if member.left and member.left <= tally.as_of:
        return f"{member.label} left on {member.left} and does not count on {tally.as_of}"
    return f"{member.label} is not a member on {tally.as_of} (joined {member.joined})"


def show_holdouts(ctx: Context, args: ReadArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    tally = current_tally(ctx, tracker, args.as_of)
    holdouts = tally.holdouts()
    fields = holdout_fields(tally)
    data = tally.to_data()
    data["holdouts"] = sorted(holdouts)
    data["holdout_groups"] = {f.key: list(f.codes) for f in holdout_groups(tally)}
    return Reply(
        title=f"Holdouts — {tracker.title} — as of {tally.as_of}",
        lines=(headline(tally), holdouts_line(tally)),
        fields=tuple(fields),
        colour=tally_colour(tally),
        data=data,
    )


HOLDOUTS = Command(
    path=("holdouts",),
    summary="Everyone not yet counted: opposing, backing a rival, leaning, undeclared.",
    handler=show_holdouts,
    args=ReadArgs,
    params=(TRACKER_POS, AS_OF),
)


@dataclass(frozen=True)
class HistoryArgs:
    tracker: str | None = None
    member: str | None = None
    limit: int = 10
    page: int | None = None
    before: str | None = None


def show_history(ctx: Context, args: HistoryArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    body = ctx.body(tracker)
    member = body.resolve(args.member) if args.member else None
    code = member.code if member else None
    size = args.limit
    if args.page is not None and args.before is not None:
        raise UserError("Give page= or before=, not both.")
    before = _history_anchor(ctx, tracker, args.before)
    page = args.page or 1
    total = ctx.repo.count_declarations(tracker.id)
    matching = ctx.repo.count_declarations(tracker.id, code) if code else total
    pages = max(1, math.ceil(matching / size))
    if page > pages:
        raise UserError(f"page={page} is past the end: {matching} declarations make {pages}.")
    offset = 0 if before else (page - 1) * size
    history = ctx.repo.history(tracker.id, code, limit=size, offset=offset, before=before)
    left = ctx.repo.count_declarations(tracker.id, code, before) if before else matching - offset
    more = left > len(history)
    events = [] if member else _events_of_page(ctx, tracker, history, offset, before, more)
    filtered = f"member={member.code}: " if member else ""
    counted = f"{matching} of {total}" if member else f"{total}"
    where = f"page {page} of {pages}" if not before else f"older than #{before.id}"
    context = [f"{filtered}{counted} declarations, newest first; {where}."]
    if more and history:
        context.append(f"More: page={page + 1} or before=#{history[-1].id}.")
    context.append("Ids are for /tally retract and /tally amend.")
    empty = "No declarations recorded yet." if not total else "No declarations on this page."
    return Reply(
        title=f"History — {tracker.title}" + (f" — {member.label}" if member else ""),
        lines=() if history or events else (empty,),
        fields=day_fields(history, events, tracker, body),
        context=tuple(context),
        data={
            "tracker": tracker.slug,
            "total": total,
            "matching": matching,
            "filter": {"member": code} if code else {},
            "page": None if before else page,
            "pages": pages,
            "declarations": [declaration_data(d, tracker) for d in history],
            "events": [event_data(e) for e in events],
        },
    )


HISTORY = Command(
    path=("history",),
    summary="The latest declarations, newest first, with ids.",
    handler=show_history,
    args=HistoryArgs,
    params=(
        TRACKER_POS,
        Param("member", ParamKind.MEMBER, "Only this member's declarations."),
        Param(
            "limit",
            ParamKind.INTEGER,
            "How many (1-50, default 10).",
            min_value=1,
            max_value=50,
            metavar="N",
        ),
        Param(
            "page",
            ParamKind.INTEGER,
            "Which page, 1 the newest (default 1).",
            min_value=1,
            max_value=1_000_000,
            metavar="N",
        ),
        Param(
            "before",
            ParamKind.TEXT,
            "Declarations older than this id (#57), to read on from a page.",
            metavar="ID",
        ),
    ),
    examples=("/tally history nato-sg-2024 member=HU", "/tally history page=2"),
)


def _history_anchor(ctx: Context, tracker: Tracker, text: str | None) -> Declaration | None:
    if not text:
        return None
    anchor = ctx.repo.declaration(declaration_id(text))
    if anchor.tracker_id != tracker.id:
        raise UserError(f"#{anchor.id} is not a declaration on {tracker.slug}.")
    return anchor


def _events_of_page(
    ctx: Context,
    tracker: Tracker,
    page: list[Declaration],
    offset: int,
    before: Declaration | None,
    more: bool,
) -> list[dict[str, Any]]:
    """The tracker events dated within this page's span: from its oldest date (none on the last
    page) up to, not including, the oldest date of the page before (none on the first)."""
    if before is not None:
        newer_than: date | None = before.made_on
    elif offset:
        newer_than = ctx.repo.history(tracker.id, limit=1, offset=offset - 1)[0].made_on
    else:
        newer_than = None
    oldest = page[-1].made_on if page and more else None
    return [
        e
        for e in ctx.repo.tracker_events(tracker.id) + ctx.repo.amendment_events(tracker.id)
        if (oldest is None or date.fromisoformat(e["made_on"]) >= oldest)
        and (newer_than is None or date.fromisoformat(e["made_on"]) < newer_than)
    ]


def _no_trackers(ctx: Context) -> str:
    archived = [t.slug for t in ctx.repo.trackers(limit=25) if t.archived]
    if archived:
        return f"Every tracker is archived ({', '.join(archived)}); each reads by name."
    return "No trackers yet: /tally tracker new, or `tallybot demo`."


def list_trackers(ctx: Context, args: NoArgs) -> Reply:
    trackers = ctx.repo.trackers(limit=25, include_archived=False)
    fields = []
    for tracker in trackers:
        body = f"body {ctx.repo.body(tracker.body).name} ({tracker.body})"
        detail = [str(tracker.status), str(tracker.kind), str(tracker.rule), body]
        detail.append(f"opened {tracker.opened}")
        if tracker.status is not TrackerStatus.OPEN and tracker.outcome:
            detail.append(tracker.outcome)
        fields.append(Field(f"{tracker.slug} — {tracker.title}", (" · ".join(detail),)))
    return Reply(
        title="Trackers",
        lines=() if trackers else (_no_trackers(ctx),),
        fields=tuple(fields),
        colour=Colour.INFO,
        data={
            "trackers": [
                {
                    "slug": t.slug,
                    "title": t.title,
                    "status": str(t.status),
                    "kind": str(t.kind),
                    "rule": str(t.rule),
                    "body": t.body,
                    "opened": t.opened.isoformat(),
                    "visibility": str(t.visibility),
                }
                for t in trackers
            ]
        },
    )


TRACKERS = Command(
    path=("trackers",),
    summary="Open and recent trackers.",
    handler=list_trackers,
    args=NoArgs,
)
