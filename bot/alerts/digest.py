"""The daily digest: the changes since the last one, then where things stand now.

A digest counts the changes from where this subscription's previous digest stopped (kept in
its data as 'until') to the time it falls due, so days the bot was down are still covered by
the catch-up digest; the first digest of a subscription looks back one day.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.alerts.model import Subscription, Variant
from bot.alerts.serialize import reply_to_json
from bot.alerts.timing import last_due, previous_due, to_utc
from bot.domain import Tracker, TrackerStatus
from bot.presentation import colour_for, headline, tally_reply
from bot.replies import Colour, Field, Reply, Visibility
from bot.storage import Alerts, Records, Transaction
from bot.tally import Tally, compute_tally


def digest_key(sub: Subscription, due: datetime) -> str:
    return f"{sub.id}:{due.date().isoformat()}"


def write_digest(tx: Transaction, sub_id: int, now: datetime) -> int | None:
    """Write the digest that fell due last (once per subscription and local day) and queue it.

    Returns the outbox event id, or None when there is nothing to write (already written,
    unsubscribed, or no longer a digest)."""
    alerts = tx.alerts
    sub = alerts.active_subscription(sub_id)
    if sub is None or sub.digest_at is None or str(sub.mode) != "digest":
        return None
    due = last_due(sub.digest_at, sub.tz, now)
    key = digest_key(sub, due)
    if alerts.digest_written(key):
        return None
    reply = digest_reply(tx, sub, digest_start(alerts, sub, due), due)
    event_id = alerts.add_event(
        kind="digest",
        tracker_id=sub.tracker_id,
        declaration_id=None,
        summary=reply.title,
        reply_json=reply_to_json(reply),
        milestone_json=None,
        recorded_at=now,
        digest_key=key,
    )
    if event_id is None:
        return None
    alerts.add_outbox_rows(event_id, [(sub, Variant.DIGEST)], now)
    return event_id


def digest_start(alerts: Alerts, sub: Subscription, due: datetime) -> datetime:
    """Where the last written digest of `sub` stopped; a day before `due` for the first one."""
    start = alerts.last_digest_end(sub.id) or previous_due(due)
    return min(start, due)


def missed_digest(sub: Subscription, now: datetime) -> bool:
    """A digest fell due while nothing was running, after the subscription took its form."""
    if sub.digest_at is None:
        return False
    return last_due(sub.digest_at, sub.tz, now) >= sub.updated_at


def digest_reply(tx: Transaction, sub: Subscription, start: datetime, end: datetime) -> Reply:
    repo, alerts = tx.records, tx.alerts
    day = end.date()
    if sub.tracker_id is not None:
        trackers = [repo.tracker_by_id(sub.tracker_id)]
    else:
        changed = {e["tracker_id"] for e in alerts.events_between(None, start, end)}
        # 'all' is every tracker of the channel's community, never another community's.
        own = repo.scoped(sub.community_id or 0)
        trackers = [
            t for t in own.trackers(limit=200) if t.status is TrackerStatus.OPEN or t.id in changed
        ]
    events = alerts.events_between([t.id for t in trackers], start, end) if trackers else []
    count = len(events)
    noun = "change" if count == 1 else "changes"
    since = f"since {start.astimezone(ZoneInfo(sub.tz)):%Y-%m-%d %H:%M} ({sub.tz})"
    window = {"since": to_utc(start).isoformat(), "until": to_utc(end).isoformat()}
    if len(trackers) == 1:
        tracker = trackers[0]
        tally = _tally(repo, tracker, day)
        base = tally_reply(tally)
        changes = _change_items(events, sub.tz)
        return Reply(
            title=f"Daily digest — {tracker.title} — {day}",
            lines=(f"{count} {noun} {since}.", headline(tally)),
            fields=(Field(f"Changes ({count})", changes, separator="\n"), *base.fields),
            context=(f"/tally {tracker.slug} for the full tally.",),
            colour=colour_for(tally.verdict.outcome),
            visibility=Visibility.PUBLIC,
            data={
                "alert": "digest",
                "date": day.isoformat(),
                "changes": count,
                **window,
                **tally.to_data(),
            },
        )
    fields = []
    for tracker in trackers:
        mine = [e for e in events if e["tracker_id"] == tracker.id]
        items = (headline(_tally(repo, tracker, day)), *_change_items(mine, sub.tz))
        fields.append(Field(f"{tracker.title} ({tracker.slug})", items, separator="\n"))
    return Reply(
        title=f"Daily digest — {day}",
        lines=(f"{count} {noun} {since}.",) + (() if trackers else ("No open trackers.",)),
        fields=tuple(fields),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={
            "alert": "digest",
            "date": day.isoformat(),
            "changes": count,
            **window,
            "trackers": [t.slug for t in trackers],
        },
    )


def _tally(repo: Records, tracker: Tracker, day: date) -> Tally:
    body = repo.body(tracker.body)
    return compute_tally(tracker, body, day, repo.positions(tracker, day))


def _change_items(events: list[dict[str, object]], tz: str) -> tuple[str, ...]:
    zone = ZoneInfo(tz)
    if not events:
        return ("No changes.",)
    return tuple(
        f"{datetime.fromisoformat(str(e['recorded_at'])).astimezone(zone):%H:%M} {e['summary']}"
        for e in events
    )
