"""Proposing a declaration: checked as `/tally declare` checks it, nothing recorded, merged
with a pending suggestion of the same declaration (every source kept).

`propose` is what any caller with a transaction uses (the news feeds' job); the suggest
command calls `submit` with its context's pieces. Both write only in the caller's
transaction, together with the alert rows of channels subscribed with mode=suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.commands.context import Actor, Context
from bot.commands.converters import MAX_NAME, MAX_URL, parse_url
from bot.commands.recording import (
    check_declarable,
    declaration_target,
    find_candidate,
    find_stage,
)
from bot.domain import Tracker, TrackerKind
from bot.errors import NotFound, UserError
from bot.limits import LimitReached
from bot.storage import Alerts, Records, Suggestions, Transaction
from bot.suggestions.alerts import write_suggestion_alert
from bot.suggestions.model import (
    FEED_PREFIX,
    NewSuggestion,
    Proposal,
    ProposeResult,
    Source,
    SuggestionRules,
    person_key,
)

MAX_QUOTE = 4000
_HOUR = timedelta(hours=1)


def propose(
    tx: Transaction, new: NewSuggestion, now: datetime, rules: SuggestionRules | None = None
) -> ProposeResult:
    """Check `new` like a declaration and queue it for review (or merge it into the pending
    suggestion of the same declaration); raises UserError, writing nothing, when it does not
    check. A feed's suggestions (suggested_by 'feed:...') are not rate-limited."""
    records = tx.records.scoped(new.community_id)
    return submit(records, tx.alerts, tx.suggestions, new, now, rules or SuggestionRules())


def submit(
    records: Records,
    alerts: Alerts,
    suggestions: Suggestions,
    new: NewSuggestion,
    now: datetime,
    rules: SuggestionRules,
) -> ProposeResult:
    """`propose` on a community's records (what the suggest command already holds)."""
    tracker = records.tracker_by_id(new.tracker_id)
    if tracker.community_id != new.community_id:
        raise NotFound(f"No tracker with id {new.tracker_id} in this community.")
    proposal = check(records, alerts, tracker, new, now)
    source = Source(
        url=_url(new.source),
        quote=_text(new.quote, "quote", MAX_QUOTE),
        speaker=_text(new.speaker, "speaker", MAX_NAME),
        made_on=proposal.made_on,
        suggested_by=new.suggested_by,
        added_at=now,
    )
    _check_rate(suggestions, new.suggested_by, now, rules)
    suggestions.expire(now)
    expires_at = now + rules.lifetime
    existing = suggestions.pending_like(proposal)
    if existing is not None:
        if any(known.url == source.url for known in existing.sources):
            return ProposeResult(existing, merged=True, known_source=True)
        merged = suggestions.add_source(existing.id, source, expires_at)
        return ProposeResult(merged, merged=True)
    suggestion = suggestions.add(proposal, source, expires_at)
    write_suggestion_alert(records, alerts, tracker, suggestion, now)
    return ProposeResult(suggestion, merged=False)


def check(
    records: Records, alerts: Alerts, tracker: Tracker, new: NewSuggestion, now: datetime
) -> Proposal:
    """The declaration checks (member, dates, target) without recording anything. A stance
    left for the moderator to pick (None) still has its candidate or stage checked."""
    ctx = Context(records, alerts, _suggester(new.suggested_by), now)
    made_on = new.made_on or now.date()
    member = ctx.body(tracker).resolve(new.member)
    check_declarable(ctx, tracker, member, made_on)
    if new.stance is not None:
        candidate_id, stage = declaration_target(tracker, new.stance, new.target, made_on)
    elif not new.target:
        candidate_id, stage = None, None
    elif tracker.kind is TrackerKind.APPROVAL:
        candidate_id, stage = None, find_stage(tracker, new.target)
    else:
        candidate_id, stage = find_candidate(tracker, new.target).id, None
    return Proposal(
        community_id=new.community_id,
        tracker_id=tracker.id,
        member=member.code,
        stance=new.stance,
        candidate_id=candidate_id,
        stage=stage,
        made_on=made_on,
        explanation=new.explanation,
    )


def _check_rate(
    suggestions: Suggestions, suggested_by: str, now: datetime, rules: SuggestionRules
) -> None:
    if suggested_by.startswith(FEED_PREFIX) or suggested_by.startswith("console:"):
        return  # feeds are polled on their own schedule; the console is the operator
    limit = rules.per_hour
    sent = suggestions.suggested_since(person_key(suggested_by), now - _HOUR)
    if sent >= limit:
        raise LimitReached(
            f"You have sent {sent} suggestions in the last hour, the most allowed "
            f"(TALLYBOT_SUGGESTIONS_PER_HOUR={limit}); this one was not sent. Try again later."
        )


def _text(value: str | None, name: str, longest: int) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > longest:
        raise UserError(f"{name} is {len(value):,} characters long; at most {longest:,} fit.")
    return value.strip()


def _url(text: str) -> str:
    """The source as the command's URL parameter takes it, length included: a feed's item
    link reaches here unchecked."""
    url = parse_url(text)
    if len(url) > MAX_URL:
        raise UserError(f"source is too long: {len(url):,} characters; at most {MAX_URL:,}.")
    return url


def _suggester(ref: str) -> Actor:
    """A stand-in actor for the declaration checks (they read no rights, only `ref`)."""
    platform, _, rest = person_key(ref).partition(":")
    workspace, _, user = rest.partition(":")
    return Actor(platform, workspace, user, ref)
