"""Read commands: the tally, a member's position, the holdouts, the history, the trackers."""

from __future__ import annotations

from typing import Any

from bot.commands.context import Context
from bot.domain import Stance, Tracker, TrackerStatus
from bot.presentation import (
    STANCE_HEADINGS,
    colour_for,
    declaration_data,
    declaration_line,
    headline,
    history_field,
    labels,
    tally_reply,
)
from bot.replies import Colour, Field, Reply
from bot.tally import Tally, compute_tally


def current_tally(ctx: Context, tracker: Tracker, as_of: Any = None) -> Tally:
    day = as_of or ctx.today
    return compute_tally(tracker, ctx.body(tracker), day, ctx.repo.positions(tracker, day))


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
        now = f"{member.label} is not a member on {tally.as_of} (joined {member.joined})"
    else:
        now = f"{member.label} has not declared"
    lines = [f"Now: {now}", headline(tally)]
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


def show_holdouts(ctx: Context, args: dict[str, Any]) -> Reply:
    tracker = ctx.tracker(args.get("tracker"))
    tally = current_tally(ctx, tracker, args.get("as_of"))
    body = tally.body
    fields = [Field(f"Not declared ({len(tally.undeclared)})", labels(body, tally.undeclared))]
    for stance in (Stance.OPPOSE, Stance.LEAN_OPPOSE, Stance.UNDECIDED, Stance.ABSTAIN):
        codes = tally.by_stance[stance]
        if codes:
            fields.append(Field(f"{STANCE_HEADINGS[stance]} ({len(codes)})", labels(body, codes)))
    if tally.approved or tracker.stages:
        approved = set(tally.approved)
        part_way = [c for c in tally.by_stance[Stance.SUPPORT] if c not in approved]
        if part_way:
            fields.append(Field(f"Part-way ({len(part_way)})", labels(body, part_way)))
    data = tally.to_data()
    data["holdouts"] = sorted(set(tally.voters_codes()) - set(tally.supporters))
    return Reply(
        title=f"Holdouts — {tracker.title} — as of {tally.as_of}",
        lines=(headline(tally),),
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
