"""The tracker's Atom 1.0 feed (RFC 4287), built with xml.etree: one entry per declaration,
candidate withdrawal and milestone, newest first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from adapters.web.reading import TrackerPage
from bot.presentation import describe_stance, provenance

ATOM = "http://www.w3.org/2005/Atom"
FEED_LIMIT = 200
"""Newest entries kept: a feed reader polls, it does not archive (the CSV export does)."""
CLOSING_KINDS = ("decided", "abandoned", "reopened")


@dataclass(frozen=True)
class FeedEntry:
    key: str
    """Unique within the tracker: 'd57', 'withdrawn-3', 'milestone-2024-04-02'."""
    title: str
    summary: str
    updated: datetime
    day: str


def entries(page: TrackerPage) -> list[FeedEntry]:
    tally = page.tally
    tracker, body = tally.tracker, tally.body
    found: list[FeedEntry] = []
    for d in page.declarations:
        member = body.get(d.member)
        title = f"{member.name} {describe_stance(d, tracker)}"
        if d.retraction:
            title = f"Retracted: {title} ({d.retraction.reason})"
        found.append(
            FeedEntry(f"d{d.id}", title, provenance(d), d.recorded_at, d.made_on.isoformat())
        )
    for event in page.events:
        if event["kind"] == "withdrawn":
            title = f"{event['detail']} withdrew"
        elif event["kind"] in CLOSING_KINDS:
            title = f"Milestone: {_closing(event)}"
        else:
            continue
        moment = datetime.fromisoformat(event["recorded_at"])
        found.append(FeedEntry(f"e{event['id']}", title, title, moment, event["made_on"]))
    for step in page.steps:
        if step.notes:
            moment = step.recorded_at or datetime.combine(step.day, time(), UTC)
            text = "; ".join(step.notes)
            summary = f"{text}. {step.supporting} of {step.voters} support on {step.day}."
            found.append(
                FeedEntry(
                    f"m{step.day.isoformat()}",
                    f"Milestone: {text}",
                    summary,
                    moment,
                    step.day.isoformat(),
                )
            )
    found.sort(key=lambda e: (e.day, e.updated, e.key), reverse=True)
    return found[:FEED_LIMIT]


def _closing(event: dict[str, Any]) -> str:
    if event["kind"] == "reopened":
        return "Reopened"
    return f"Closed, {event['kind']}: {event['detail']}"


def atom(page: TrackerPage, page_url: str, feed_url: str) -> bytes:
    """The feed document; ids are the page's URL with a fragment per entry (stable, unique)."""
    ET.register_namespace("", ATOM)
    tracker = page.tally.tracker
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", page_url)
    _text(feed, "title", f"{tracker.title} — tallybot")
    _text(feed, "updated", _stamp(page.last_change))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=feed_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=page_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "tallybot")
    _text(feed, "generator", "tallybot")
    for item in entries(page):
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"{page_url}#{item.key}")
        _text(entry, "title", item.title)
        _text(entry, "updated", _stamp(item.updated))
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            rel="alternate",
            type="text/html",
            href=f"{page_url}#{item.key}",
        )
        _text(entry, "summary", item.summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = _xml_safe(value)
    return element


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry most control characters at all, escaped or not: drop them."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
