"""A new suggestion, announced to the channels subscribed with mode=suggestions (the moderators'
channel), through the alert outbox in the suggestion's own transaction."""

from __future__ import annotations

from datetime import datetime

from bot.alerts.model import Mode, Variant
from bot.alerts.serialize import reply_to_json
from bot.domain import Tracker
from bot.replies import Colour, Reply, Visibility
from bot.storage import Alerts, Records
from bot.suggestions.model import Suggestion
from bot.suggestions.wording import proposed_line, source_line

SUGGESTION_EVENT = "suggestion"
"""alert_events.kind of a new suggestion: never listed in digests (it is not a change)."""


def suggestion_alert(suggestion: Suggestion, tracker: Tracker, records: Records) -> Reply:
    body = records.body(tracker.body)
    lines = [source_line(s) for s in suggestion.sources]
    if suggestion.explanation:
        lines.append(f"Why: {suggestion.explanation}")
    return Reply(
        title=f"💡 Suggestion #{suggestion.id} on {tracker.slug}: "
        f"{proposed_line(suggestion, tracker, body)}",
        lines=tuple(lines),
        context=(f"Nothing is recorded until a moderator confirms: /tally review {tracker.slug}",),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"suggestion": suggestion.id, "tracker": tracker.slug},
    )


def write_suggestion_alert(
    records: Records, alerts: Alerts, tracker: Tracker, suggestion: Suggestion, now: datetime
) -> int:
    """Queue the alert for every channel of the tracker's community subscribed to it (or to
    all) with mode=suggestions; returns the rows written."""
    subs = [
        s
        for s in alerts.matching_subscriptions(tracker.id)
        if s.mode is Mode.SUGGESTIONS and s.community_id in (None, tracker.community_id)
    ]  # never a follower's channel in another community (subscribe refuses it; older rows)
    if not subs:
        return 0
    reply = suggestion_alert(suggestion, tracker, records)
    event_id = alerts.add_event(
        kind=SUGGESTION_EVENT,
        tracker_id=tracker.id,
        declaration_id=None,
        summary=reply.title,
        reply_json=reply_to_json(reply),
        milestone_json=None,
        recorded_at=now,
    )
    assert event_id is not None
    return alerts.add_outbox_rows(event_id, [(s, Variant.EVERY) for s in subs], now)
