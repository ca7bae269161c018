"""Suggest and review: anyone proposes a declaration with its source; a moderator confirms
it (recorded through `declare`, the suggester credited), edits then confirms it, or rejects it.

Each decision is a conditional step (pending -> confirmed) in the command's one transaction, so
a button pressed twice, or by two moderators at once, records once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.commands.context import Context
from bot.commands.converters import parse_url
from bot.commands.params import DATE, QUOTE, SPEAKER, TRACKER_OPT
from bot.commands.recording import DECLARE, DeclareArgs, declare
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import Stance, Tracker, TrackerKind
from bot.errors import NotFound, UserError
from bot.presentation import SUGGESTED_CREDIT, describe_stance
from bot.replies import Action, ActionStyle, Colour, Item, Notice, Reply, Visibility, clip
from bot.suggestions.actions import Verb, button_id
from bot.suggestions.model import (
    FEED_PREFIX,
    NewSuggestion,
    Suggestion,
    SuggestionStatus,
    person_key,
)
from bot.suggestions.propose import submit
from bot.suggestions.wording import proposed_line, source_line, suggester_name

PAGE = 5
"""Suggestions one review shows (a Discord message holds five rows of buttons)."""
NONE = "none"


@dataclass(frozen=True)
class SuggestArgs:
    member: str
    stance: Stance
    source: str
    target: str | None = None
    tracker: str | None = None
    made_on: date | None = None
    quote: str | None = None
    speaker: str | None = None


def suggest(ctx: Context, args: SuggestArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    if "," in args.member:
        raise UserError("Suggest one member at a time (a roll-call is for moderators).")
    new = NewSuggestion(
        community_id=ctx.community.id,
        tracker_id=tracker.id,
        member=args.member,
        stance=args.stance,
        target=args.target,
        source=args.source,
        quote=args.quote,
        speaker=args.speaker,
        made_on=args.made_on,
        suggested_by=ctx.actor.ref,
    )
    result = submit(ctx.repo, ctx.alerts, ctx.suggestions, new, ctx.now, ctx.suggestion_rules)
    suggestion = result.suggestion
    line = proposed_line(suggestion, tracker, ctx.body(tracker))
    lines = [
        f"Suggestion #{suggestion.id} on {tracker.slug}. Nothing is recorded until a moderator "
        "confirms it; you will be told the outcome."
    ]
    if result.known_source:
        offered = next(s for s in suggestion.sources if s.url == parse_url(args.source))
        lines = [
            f"Suggestion #{suggestion.id} on {tracker.slug} already has this source "
            f"(offered by {suggester_name(offered.suggested_by)}): nothing was added. "
            "Nothing is recorded until a moderator confirms it."
        ]
    elif result.merged:
        lines.insert(
            0,
            f"This was already suggested: your source joins suggestion #{suggestion.id} "
            f"({len(suggestion.sources)} sources).",
        )
    now = ctx.repo.positions(tracker, ctx.today).get(suggestion.member)
    same = (suggestion.stance, suggestion.candidate_id, suggestion.stage)
    if now is not None and (now.stance, now.candidate_id, now.stage) == same:
        lines.append(
            f"Already on record: {describe_stance(now, tracker)} since {now.made_on} "
            f"(#{now.id}); a moderator may still add this report."
        )
    return Reply(
        title=f"{'Already suggested' if result.known_source else 'Sent to the moderators'}: {line}",
        lines=tuple(lines),
        context=(f"Expires {_moment(suggestion.expires_at)} unless a moderator decides first.",),
        visibility=Visibility.PRIVATE,
        data={
            "suggestion": suggestion_data(suggestion, tracker),
            "merged": result.merged,
            "known_source": result.known_source,
        },
    )


SUGGEST = Command(
    path=("suggest",),
    summary="Propose a declaration with its source; a moderator confirms it (anyone may).",
    handler=suggest,
    args=SuggestArgs,
    proposes=True,
    params=(
        Param(
            "member",
            ParamKind.MEMBER,
            "Member state (code, name or alias).",
            required=True,
            positional=True,
        ),
        DECLARE.params[1],
        DECLARE.params[2],
        Param(
            "source",
            ParamKind.URL,
            "Where it was reported (http(s) URL): required.",
            required=True,
            metavar="URL",
        ),
        QUOTE,
        SPEAKER,
        DATE,
        TRACKER_OPT,
    ),
    examples=(
        "/tally suggest SK support rutte source=https://example.org/slovakia-backs-rutte "
        'quote="We support Mark Rutte" date=2024-04-18',
    ),
)


@dataclass(frozen=True)
class ReviewArgs:
    tracker: str | None = None
    suggestion_id: int | None = None


def review(ctx: Context, args: ReviewArgs) -> Reply:
    ctx.suggestions.expire(ctx.now)
    if args.suggestion_id is not None:
        suggestion = _pending(ctx, args.suggestion_id)
        its = ctx.repo.tracker_by_id(suggestion.tracker_id)
        return Reply(
            title=f"Suggestion #{suggestion.id}",
            items=(_item(ctx, suggestion, its),),
            data={"suggestions": [suggestion_data(suggestion, its)]},
        )
    tracker = ctx.tracker(args.tracker) if args.tracker else None
    tracker_id = tracker.id if tracker else None
    community = ctx.community.id
    pending = ctx.suggestions.pending(community, tracker_id, PAGE)
    total = ctx.suggestions.count_pending(community, tracker_id)
    trackers = {t.id: t for t in ([tracker] if tracker else [])}
    for s in pending:
        if s.tracker_id not in trackers:
            trackers[s.tracker_id] = ctx.repo.tracker_by_id(s.tracker_id)
    where = f" on {tracker.slug}" if tracker else ""
    title = (
        f"{total} suggestion{'s' if total != 1 else ''} to review{where}, oldest first"
        if total
        else f"No suggestions to review{where}."
    )
    lines = [f"Showing the oldest {PAGE}; decide these to see the next."] if total > PAGE else []
    decided = ctx.suggestions.decided(community, tracker_id)
    context = tuple(_decided_line(ctx, s, trackers) for s in decided)
    return Reply(
        title=title,
        lines=tuple(lines),
        items=tuple(_item(ctx, s, trackers[s.tracker_id]) for s in pending),
        context=(("Recently decided: " + "; ".join(context),) if context else ()),
        data={
            "pending": total,
            "suggestions": [suggestion_data(s, trackers[s.tracker_id]) for s in pending],
            "decided": [
                {"id": s.id, "status": str(s.status), "decided_by": s.decided_by} for s in decided
            ],
        },
    )


REVIEW = Command(
    path=("review",),
    summary="Suggestions waiting for a moderator, oldest first, with Confirm / Edit / Reject.",
    handler=review,
    why_moderators="decides what is recorded",
    args=ReviewArgs,
    moderator_only=True,
    params=(
        Param(
            "tracker",
            ParamKind.TRACKER,
            "Only this tracker's suggestions (default: every tracker's).",
            positional=True,
        ),
        Param(
            "id",
            ParamKind.INTEGER,
            "Only this suggestion (its number).",
            min_value=1,
            field="suggestion_id",
            metavar="N",
        ),
    ),
    examples=("/tally review", "/tally review nato-sg-2024"),
)


@dataclass(frozen=True)
class ConfirmArgs:
    suggestion_id: int
    stance: Stance | None = None
    target: str | None = None
    made_on: date | None = None
    quote: str | None = None
    speaker: str | None = None
    source: str | None = None


def confirm(ctx: Context, args: ConfirmArgs) -> Reply:
    suggestion = _pending(ctx, args.suggestion_id)
    tracker = ctx.repo.tracker_by_id(suggestion.tracker_id)
    stance = args.stance or suggestion.stance
    if stance is None:
        raise UserError(
            f"Suggestion #{suggestion.id} leaves the stance to pick: press Edit, or "
            f"/tally confirm {suggestion.id} stance=support (or oppose...)."
        )
    first = suggestion.first
    if not ctx.suggestions.decide(
        suggestion.id, SuggestionStatus.CONFIRMED, ctx.actor.ref, ctx.now
    ):
        raise UserError(_already(ctx, args.suggestion_id))
    moderator = ctx.actor.display_name
    people = _suggesters(suggestion)
    by = _names(people) or _clean(suggester_name(first.suggested_by))
    credit = f"{SUGGESTED_CREDIT}{by}, confirmed by {_clean(moderator)}"
    credited = dataclasses.replace(ctx.actor, display_name=credit)
    target = _target(tracker, suggestion, stance, args)
    made_on = args.made_on or suggestion.made_on
    if tracker.kind is TrackerKind.SELECTION and stance.names_candidate and target is None:
        active = tracker.active_candidates(made_on)
        if len(active) != 1:  # declare's own question says 'after the stance': not here
            names = ", ".join(c.name for c in active) or "none"
            raise UserError(
                f"Which candidate? Give one: /tally confirm {suggestion.id} stance={stance} "
                f"target=NAME (the Edit form's candidate): {names}."
            )
    recorded = DeclareArgs(
        member=suggestion.member,
        stance=stance,
        target=target,
        tracker=tracker.slug,
        made_on=made_on,
        source=args.source or first.url,
        quote=_kept(args.quote, first.quote),
        speaker=_kept(args.speaker, first.speaker),
    )
    declared = declare(dataclasses.replace(ctx, actor=credited), recorded)
    declaration = declared.data["declaration"]
    ctx.suggestions.link_declaration(suggestion.id, int(declaration["id"]))
    # Edited: what was recorded differs from what was suggested (an Edit form sends every
    # field, changed or not).
    edited = (
        declaration["stance"],
        declaration["candidate"] or declaration["stage"],
        declaration["date"],
        declaration["source"],
        declaration["quote"],
        declaration["speaker"],
    ) != (
        str(suggestion.stance) if suggestion.stance else None,
        _target_name(tracker, suggestion),
        suggestion.made_on.isoformat(),
        first.url,
        first.quote,
        first.speaker,
    )
    others = [f"Also reported: {source_line(s)}" for s in suggestion.sources[1:]]
    line = declared.title.split(": ", 1)[-1]
    notice = Reply(
        title=f"Your suggestion #{suggestion.id} was confirmed: {line}",
        lines=(
            f"Recorded as #{declaration['id']} on {tracker.slug} by {moderator}"
            + (" (edited)." if edited else "."),
        ),
        colour=Colour.REACHED,
    )
    return dataclasses.replace(
        declared,
        lines=(*declared.lines, *others),
        context=(
            f"Suggested by {by} "
            f"(suggestion #{suggestion.id}{', edited' if edited else ''}), confirmed by "
            f'{moderator}. Undo a mistake: /tally retract {declaration["id"]} reason="..."',
        ),
        data={**declared.data, "suggestion": suggestion.id},
        notices=tuple(Notice(p, notice) for p in _others(people, ctx)),
    )


CONFIRM = Command(
    path=("confirm",),
    summary="Record a suggestion as a declaration (optionally changed first); its suggester "
    "is credited and told.",
    handler=confirm,
    why_moderators="decides what is recorded",
    args=ConfirmArgs,
    moderator_only=True,
    params=(
        Param(
            "suggestion_id",
            ParamKind.INTEGER,
            "The suggestion's number (as /tally review shows it).",
            required=True,
            positional=True,
            min_value=1,
            metavar="ID",
        ),
        Param(
            "stance",
            ParamKind.CHOICE,
            "A different stance than suggested.",
            choices=tuple(str(s) for s in Stance),
            aliases=DECLARE.params[1].aliases,
            enum=Stance,
        ),
        Param(
            "target",
            ParamKind.CANDIDATE,
            "A different candidate or stage (none: without one).",
            metavar="CANDIDATE|STAGE",
        ),
        dataclasses.replace(DATE, help="A different date than suggested (YYYY-MM-DD)."),
        dataclasses.replace(QUOTE, help="A different quote (none: without one)."),
        dataclasses.replace(SPEAKER, help="A different speaker (none: without one)."),
        Param("source", ParamKind.URL, "A different source (http(s) URL).", metavar="URL"),
    ),
    examples=("/tally confirm 12", '/tally confirm 12 stance=oppose quote="We will not"'),
)


@dataclass(frozen=True)
class RejectArgs:
    suggestion_id: int
    reason: str | None = None


def reject(ctx: Context, args: RejectArgs) -> Reply:
    suggestion = _pending(ctx, args.suggestion_id)
    tracker = ctx.repo.tracker_by_id(suggestion.tracker_id)
    reason = args.reason.strip() if args.reason and args.reason.strip() else None
    if not ctx.suggestions.decide(
        suggestion.id, SuggestionStatus.REJECTED, ctx.actor.ref, ctx.now, reason
    ):
        raise UserError(_already(ctx, args.suggestion_id))
    line = proposed_line(suggestion, tracker, ctx.body(tracker))
    said = f": {reason}" if reason else " (no reason given)"
    notice = Reply(
        title=f"Your suggestion #{suggestion.id} was not recorded: {line}",
        lines=(f"Rejected by {ctx.actor.display_name}{said}.",),
        colour=Colour.ERROR,
    )
    return Reply(
        title=f"Rejected suggestion #{suggestion.id}: {line}",
        lines=(f"Reason: {reason}" if reason else "No reason given.",),
        context=("Nothing was recorded; the suggester is told.",),
        data={"suggestion": suggestion.id, "status": "rejected", "reason": reason},
        notices=tuple(Notice(p, notice) for p in _others(_suggesters(suggestion), ctx)),
    )


REJECT = Command(
    path=("reject",),
    summary="Turn down a suggestion (nothing is recorded); its suggester is told why.",
    handler=reject,
    why_moderators="decides what is recorded",
    args=RejectArgs,
    moderator_only=True,
    params=(
        CONFIRM.params[0],
        Param("reason", ParamKind.TEXT, "Why (the suggester sees it).", metavar='"..."'),
    ),
    examples=('/tally reject 12 reason="the article quotes an anonymous source"',),
)


# ---------------------------------------------------------------------------------------------


def suggestion_data(s: Suggestion, tracker: Tracker) -> dict[str, Any]:
    candidate = tracker.candidate_named(s.candidate_id)
    return {
        "id": s.id,
        "tracker": tracker.slug,
        "member": s.member,
        "stance": str(s.stance) if s.stance else None,
        "candidate": candidate.name if candidate else None,
        "stage": s.stage,
        "date": s.made_on.isoformat(),
        "explanation": s.explanation,
        "status": str(s.status),
        "expires_at": s.expires_at.isoformat(),
        "sources": [
            {
                "url": x.url,
                "quote": x.quote,
                "speaker": x.speaker,
                "date": x.made_on.isoformat(),
                "suggested_by": x.suggested_by,
            }
            for x in s.sources
        ],
        "decided_by": s.decided_by,
        "reason": s.reason,
        "declaration": s.declaration_id,
    }


def _pending(ctx: Context, suggestion_id: int) -> Suggestion:
    """The community's pending suggestion, or a sentence saying what became of it."""
    suggestion = ctx.suggestions.get(suggestion_id)
    if suggestion is None or suggestion.community_id != ctx.community.id:
        raise NotFound(f"No suggestion #{suggestion_id}. See /tally review.")
    if suggestion.status is not SuggestionStatus.PENDING or suggestion.expired_on(ctx.now):
        raise UserError(_already(ctx, suggestion_id, suggestion))
    return suggestion


def _already(ctx: Context, suggestion_id: int, found: Suggestion | None = None) -> str:
    s = found or ctx.suggestions.get(suggestion_id)
    if s is None:
        return f"No suggestion #{suggestion_id}."
    if s.expired_on(ctx.now):
        return (
            f"Suggestion #{s.id} expired on {s.expires_at:%Y-%m-%d} (not reviewed in time); "
            "nothing was recorded. Suggest it again if it still stands."
        )
    by = suggester_name(s.decided_by or "someone")
    if s.status is SuggestionStatus.CONFIRMED:
        recorded = f" (recorded as #{s.declaration_id})" if s.declaration_id else ""
        return f"Suggestion #{s.id} was already confirmed by {by}{recorded}."
    return f"Suggestion #{s.id} was already rejected by {by}."


def _item(ctx: Context, s: Suggestion, tracker: Tracker) -> Item:
    body = ctx.body(tracker)
    now = ctx.repo.positions(tracker, ctx.today).get(s.member)
    position = (
        f"Now: {describe_stance(now, tracker)} (since {now.made_on}, #{now.id})"
        if now
        else "Now: no declaration on record"
    )
    lines = [position, *(source_line(x) for x in s.sources)]
    if s.explanation:
        lines.append(f"Why: {s.explanation}")
    lines.append(f"Expires {_moment(s.expires_at)} unless decided.")
    confirm_style = ActionStyle.PRIMARY if s.stance else ActionStyle.DEFAULT
    return Item(
        title=f"#{s.id} · {tracker.slug} · {s.made_on} · {proposed_line(s, tracker, body)}",
        lines=tuple(lines),
        actions=(
            Action("Confirm", button_id(Verb.CONFIRM, s.id), confirm_style),
            Action("Edit", button_id(Verb.EDIT, s.id)),
            Action("Reject", button_id(Verb.REJECT, s.id), ActionStyle.DANGER),
        ),
    )


def _decided_line(ctx: Context, s: Suggestion, trackers: dict[int, Tracker]) -> str:
    by = suggester_name(s.decided_by) if s.decided_by else ""
    if s.status is SuggestionStatus.CONFIRMED:
        return f"#{s.id} confirmed by {by} (#{s.declaration_id})"
    if s.status is SuggestionStatus.REJECTED:
        return f"#{s.id} rejected by {by}" + (f": {clip(s.reason, 100)}" if s.reason else "")
    return f"#{s.id} expired {s.expires_at:%Y-%m-%d}"


def _moment(when: datetime) -> str:
    """To the minute: a suggestion expires at the time it was made, not at the day's end, so
    'by 2026-12-09' would promise hours it does not have."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _target(tracker: Tracker, s: Suggestion, stance: Stance, args: ConfirmArgs) -> str | None:
    """The candidate or stage to record: as edited ('none' for none), else the suggestion's,
    dropped when the stance chosen takes none."""
    if args.target is not None:
        return None if args.target.strip().lower() == NONE else args.target
    if tracker.kind is TrackerKind.APPROVAL:
        return s.stage if stance is Stance.SUPPORT else None
    candidate = tracker.candidate_named(s.candidate_id)
    return candidate.name if candidate and stance.names_candidate else None


def _target_name(tracker: Tracker, s: Suggestion) -> str | None:
    candidate = tracker.candidate_named(s.candidate_id)
    return candidate.name if candidate else s.stage


def _kept(edited: str | None, suggested: str | None) -> str | None:
    if edited is None:
        return suggested
    return None if edited.strip().lower() == NONE else edited


def _suggesters(s: Suggestion) -> tuple[str, ...]:
    """Each person who offered a source (feeds are not told), first offer first."""
    seen: dict[str, str] = {}
    for source in s.sources:
        ref = source.suggested_by
        if not ref.startswith(FEED_PREFIX):
            seen.setdefault(person_key(ref), ref)
    return tuple(seen.values())


def _others(people: tuple[str, ...], ctx: Context) -> tuple[str, ...]:
    """Who to tell: not the moderator deciding (they see the answer already)."""
    me = person_key(ctx.actor.ref)
    return tuple(p for p in people if person_key(p) != me)


def _names(refs: tuple[str, ...]) -> str:
    return ", ".join(_clean(suggester_name(r)) for r in refs)


def _clean(name: str) -> str:
    """A name kept inside recorded_by's '(...)': no parentheses to confuse `who`."""
    return name.replace("(", "").replace(")", "").strip() or "someone"
