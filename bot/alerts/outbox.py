"""The outbox: alert rows written in the same transaction as the change they announce.

`write_alerts` is a dispatcher event writer: it runs inside the command's transaction, so a
declaration and its alerts commit together or not at all. One row per (event, subscription),
unique on the pair; delivery marks a row sent only once the platform has accepted it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.alerts.changes import read_change
from bot.alerts.model import Mode, Subscription, Variant
from bot.alerts.serialize import reply_to_json
from bot.alerts.wording import event_alert
from bot.events import DomainEvent, EventKind
from bot.storage import Transaction


def alert_writer(clock: Callable[[], datetime]) -> Callable[[Transaction, list[DomainEvent]], None]:
    """The event writer to append to `dispatcher.event_writers`."""

    def write(tx: Transaction, events: list[DomainEvent]) -> None:
        write_alerts(tx, events, clock())

    return write


def write_alerts(tx: Transaction, events: list[DomainEvent], now: datetime) -> int:
    """Record each event's wording and queue it for every matching subscription; returns rows."""
    alerts = tx.alerts
    written = 0
    for event in events:
        alert = event_alert(read_change(tx.records, event, now.date()))
        event_id = alerts.add_event(
            kind=str(event.kind),
            tracker_id=event.tracker_id,
            declaration_id=event.declaration_id,
            summary=alert.summary,
            reply_json=reply_to_json(alert.reply),
            milestone_json=reply_to_json(alert.milestone) if alert.milestone else None,
            recorded_at=now,
        )
        assert event_id is not None
        rows = [
            (sub, variant)
            for sub in alerts.matching_subscriptions(event.tracker_id)
            if (variant := _variant(sub, event, alert.milestone is not None)) is not None
        ]
        written += alerts.add_outbox_rows(event_id, rows, now)
    return written


def _variant(sub: Subscription, event: DomainEvent, is_milestone: bool) -> Variant | None:
    if event.kind is EventKind.OPENED and sub.tracker_id is not None:
        return None
    if sub.mode in (Mode.EVERY, Mode.SUGGESTIONS):
        return Variant.EVERY
    if sub.mode is Mode.MILESTONES and is_milestone:
        return Variant.MILESTONE
    return None
