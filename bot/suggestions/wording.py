"""How a suggestion reads, in the review queue, in alerts and in the suggester's notice."""

from __future__ import annotations

from bot.domain import Tracker
from bot.errors import NotFound
from bot.members import Body
from bot.presentation import stance_text, who
from bot.suggestions.model import FEED_PREFIX, Source, Suggestion


def proposed_line(suggestion: Suggestion, tracker: Tracker, body: Body) -> str:
    """'🇭🇺 Hungary backs Mark Rutte'; a feed's item without a plain stance: '🇭🇺 Hungary:
    stance to pick (about Mark Rutte)'."""
    label = member_label(suggestion.member, body)
    candidate = tracker.candidate_named(suggestion.candidate_id)
    if suggestion.stance is None:
        about = candidate.name if candidate else suggestion.stage
        return f"{label}: stance to pick" + (f" (about {about})" if about else "")
    text = stance_text(suggestion.stance, tracker, candidate)
    if suggestion.stage:
        text = f"approves ({suggestion.stage})"
    return f"{label} {text}"


def member_label(code: str, body: Body) -> str:
    """The member as the tally shows it; a code the body no longer has (its list was replaced,
    the tracker moved to another body) is shown as such, and confirming it will say why not."""
    try:
        return body.get(code).label
    except NotFound:
        return f"{code} (not in {body.in_sentence} now)"


def suggester_name(ref: str) -> str:
    """'Ann' for a person; 'feed https://...' for a news feed."""
    if ref.startswith(FEED_PREFIX):
        return "feed " + ref.removeprefix(FEED_PREFIX)
    return who(ref)


def source_line(source: Source) -> str:
    """'“quote” — speaker · 2024-04-02 · URL · suggested by Ann'."""
    said = []
    if source.quote:
        said.append(f"“{source.quote}”")
    if source.speaker:
        said.append(f"— {source.speaker}")
    parts = [" ".join(said)] if said else []
    parts += [
        source.made_on.isoformat(),
        source.url,
        f"suggested by {suggester_name(source.suggested_by)}",
    ]
    return " · ".join(parts)
