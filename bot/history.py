"""How /tally history reads: entries grouped under one heading per date, tracker events (edits,
withdrawals, reopenings) among the declarations, amendments under the declaration they correct."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from bot.domain import Declaration, Tracker
from bot.members import Body
from bot.presentation import amendment_lines, credit, declaration_line, provenance, who
from bot.replies import Field


def declaration_entries(declaration: Declaration, tracker: Tracker, body: Body) -> list[str]:
    """'#57 🇱🇹 Lithuania backs Mark Rutte — “...” · official · URL', then its amendments."""
    line = declaration_line(declaration, tracker, body)
    if declaration.retraction:
        retraction = declaration.retraction
        return [
            f"#{declaration.id} RETRACTED — was: {line} — retracted by "
            f"{who(retraction.recorded_by)}: {retraction.reason}"
        ]
    said = provenance(declaration, dated=False)  # the day's heading says the date
    credited = credit(declaration)
    said = " · ".join(filter(None, [said, credited]))
    return [f"#{declaration.id} {line}" + (f" — {said}" if said else "")] + [
        f"  ↳ {text}" for text in amendment_lines(declaration)
    ]


def event_entry(event: Mapping[str, Any]) -> str:
    """One tracker event, with who recorded it and when."""
    kind, detail = event["kind"], event["detail"]
    parsed = _json(detail)
    if kind == "opened":
        text = f"Opened: {detail}"
    elif kind == "withdrawn":
        text = f"{detail} withdrew"
    elif kind in ("decided", "abandoned"):
        text = f"Closed, {kind}: {detail}"
    elif kind == "edited":
        text = "Edited: " + "; ".join(
            f"{name} {old or '—'} → {new or '—'}" for name, (old, new) in parsed.items()
        )
    elif kind == "candidate-added":
        text = f"Candidate added: {parsed['candidate']}"
    elif kind == "candidate-renamed":
        old, new = parsed["name"]
        text = f"Candidate renamed: {old} → {new}"
    elif kind == "reinstated":
        text = f"{parsed['candidate']} reinstated (withdrawal of {parsed['withdrawn_on']} undone)"
    elif kind == "amended":
        changed = "; ".join(f"{k} → {v or '—'}" for k, v in parsed["changes"].items())
        text = f"Amended #{parsed['declaration']} ({parsed['member']}): {changed}"
    elif kind == "reopened":
        text = f"Reopened (was {parsed['status']} on {parsed['closed_on']}: {parsed['outcome']})"
    else:
        text = kind.capitalize()
    when = event["recorded_at"][:16].replace("T", " ")
    return f"⚙️ {text} — by {who(event['recorded_by'])}, {when} UTC"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {}


def day_fields(
    declarations: Iterable[Declaration],
    events: Iterable[Mapping[str, Any]],
    tracker: Tracker,
    body: Body,
) -> tuple[Field, ...]:
    """Fields under one heading per date, newest first; within a day, events and declarations
    interleave by the time they were recorded, newest first.

    A long day continues in further fields without repeating its date, so no platform has to
    cut entries out of one field (Discord holds 1,024 characters in a field)."""
    recorded: dict[date, list[tuple[datetime, list[str]]]] = {}
    for event in events:
        day = date.fromisoformat(event["made_on"])
        when = datetime.fromisoformat(event["recorded_at"])
        recorded.setdefault(day, []).append((when, [event_entry(event)]))
    for declaration in declarations:
        entries = declaration_entries(declaration, tracker, body)
        recorded.setdefault(declaration.made_on, []).append((declaration.recorded_at, entries))
    fields: list[Field] = []
    for day in sorted(recorded, reverse=True):
        # A stable sort: declarations recorded together keep the order they were given in.
        ordered = sorted(recorded[day], key=lambda entry: entry[0], reverse=True)
        lines = [line for _, entries in ordered for line in entries]
        for index, chunk in enumerate(_chunks(lines)):
            name = day.isoformat() if index == 0 else CONTINUED
            fields.append(Field(name, tuple(chunk), separator="\n"))
    return tuple(fields)


CONTINUED = "\u200b"
"""The heading of a day's continuation field: blank to the eye (Discord refuses an empty one)."""
FIELD_BUDGET = 1000


def _chunks(entries: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    size = 0
    for entry in entries:
        if chunks[-1] and size + len(entry) + 1 > FIELD_BUDGET:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += len(entry) + 1
    return chunks


def event_data(event: Mapping[str, Any]) -> dict[str, Any]:
    detail = event["detail"]
    return {
        "kind": event["kind"],
        "detail": _json(detail) if detail.startswith("{") else detail,
        "date": event["made_on"],
        "recorded_by": event["recorded_by"],
        "recorded_at": event["recorded_at"],
    }
