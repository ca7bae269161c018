"""Read commands: the tally, a member's position, the holdouts, the history, the trackers."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.commands.context import Context
from bot.domain import Tracker, TrackerStatus
from bot.errors import UserError
from bot.holdouts import holdout_fields, holdout_groups, holdouts_line
from bot.members import Member
from bot.presentation import (
    colour_for,
    declaration_data,
    declaration_line,
    headline,
    history_field,
    tally_reply,
)
from bot.replies import Colour, Field, Reply
from bot.tally import Tally, closed_on, compute_tally, reading_day


def current_tally(ctx: Context, tracker: Tracker, as_of: Any = None) -> Tally:
    """The tally on `as_of`; without one, today's, or a closed tracker's on its closing day.

    A date before the tracker opened has no tally: the reply names the opening date.
    """
    day = reading_day(tracker, as_of, ctx.today)
    if day < tracker.opened:
        raise UserError(
            f"{tracker.slug} opened on {tracker.opened}: there is no tally on {day}. "
            f"Give as_of={tracker.opened} or later."
        )
    return compute_tally(tracker, ctx.body(tracker), day, ctx.repo.positions(tracker, day))


def when(tally: Tally, today: date) -> str:
    """'Now' for today's tally, 'As of 2024-04-02' for any other day."""
    return "Now" if tally.as_of == today else f"As of {tally.as_of}"


def show_tally(ctx: Context, args: dict[str, Any]) -> Reply:
    tracker = ctx.tracker(args.get("tracker"))
    return tally_reply(current_tally(ctx, tracker, args.get("as_of")))


def show_position(ctx: Context, args: dict[str, Any]) -> Reply:
    tracker = ctx.tracker(args.get("tracker"))
    body = ctx.body(tracker)
    member = body.resolve(args["member"])
    tally = current_tally(ctx, tracker, args.get("as_of"))
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
    fields = [history_field(d, tracker, body) for d in history]
    if not history:
        lines.append("No declarations recorded yet.")
    return Reply(
        title=f"{member.label} on {tracker.title}",
        lines=tuple(lines),
        fields=tuple(fields),
        context=(f"Newest first; {len(history)} shown. Ids are for /tally retract.",),
        colour=colour_for(tally.verdict.outcome),
        data={
            "tracker": tracker.slug,
            "member": member.code,
            "as_of": tally.as_of.isoformat(),
            "position": declaration_data(current, tracker) if current else None,
            "history": [declaration_data(d, tracker) for d in history],
        },
    )


def not_voting(member: Member, tracker: Tracker, tally: Tally) -> str:
    """Why a member of the body is not among this tally's voters."""
    closed = closed_on(tracker)
    if closed and member.joined > closed:
        return (
            f"{member.label} joined on {member.joined}, after {tracker.slug} closed on {closed}: "
            "it does not count"
        )
    if member.left and member.left <= tally.as_of:
        return f"{member.label} left on {member.left} and does not count on {tally.as_of}"
    return f"{member.label} is not a member on {tally.as_of} (joined {member.joined})"


def show_holdouts(ctx: Context, args: dict[str, Any]) -> Reply:
    tracker = ctx.tracker(args.get("tracker"))
    tally = current_tally(ctx, tracker, args.get("as_of"))
    holdouts = tally.holdouts()
    fields = holdout_fields(tally)
    data = tally.to_data()
    data["holdouts"] = sorted(holdouts)
    data["holdout_groups"] = {f.key: list(f.codes) for f in holdout_groups(tally)}
    return Reply(
        title=f"Holdouts — {tracker.title} — as of {tally.as_of}",
        lines=(headline(tally), holdouts_line(tally)),
        fields=tuple(fields),
        colour=colour_for(tally.verdict.outcome),
        data=data,
    )


def show_history(ctx: Context, args: dict[str, Any]) -> Reply:
    tracker = ctx.tracker(args.get("tracker"))
    body = ctx.body(tracker)
    member = body.resolve(args["member"]) if args.get("member") else None
    limit = args.get("limit", 10)
    history = ctx.repo.history(tracker.id, member.code if member else None, limit=limit)
    total = ctx.repo.count_declarations(tracker.id)
    who = f" — {member.label}" if member else ""
    return Reply(
        title=f"History — {tracker.title}{who}",
        lines=() if history else ("No declarations recorded yet.",),
        fields=tuple(history_field(d, tracker, body) for d in history),
        context=(f"Newest first: {len(history)} of {total} declarations. Retract with an id.",),
        data={
            "tracker": tracker.slug,
            "total": total,
            "declarations": [declaration_data(d, tracker) for d in history],
        },
    )


def list_trackers(ctx: Context, args: dict[str, Any]) -> Reply:
    trackers = ctx.repo.trackers(limit=25)
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
        lines=() if trackers else ("No trackers yet: /tally tracker new, or `tallybot demo`.",),
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
                }
                for t in trackers
            ]
        },
    )
