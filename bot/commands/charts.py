"""/tally chart: the tally card and the timeline as PNG files.

The handler gathers the tally and the timeline inside the read transaction and leaves the
drawing to the dispatcher (Reply.drawings), which draws on the picture thread: the store thread
and the event loop never wait for matplotlib."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.commands.context import Context
from bot.commands.reading import current_tally, with_page_link
from bot.domain import Tracker
from bot.presentation import colour_for, headline
from bot.replies import Attachment, Reply
from bot.tally import Tally
from bot.timeline import Timeline, build_timeline

PNG = "image/png"


def timeline_for(ctx: Context, tracker: Tracker, until: date) -> Timeline:
    """The tracker's timeline up to `until`, from every declaration and recorded event."""
    declarations = ctx.repo.history(tracker.id, limit=-1)
    events = ctx.repo.tracker_events(tracker.id)
    return build_timeline(tracker, ctx.body(tracker), declarations, events, until)


def card_drawing(tally: Tally, filename: str) -> Any:
    def draw() -> Attachment:
        from bot.pictures.card import render_card

        return Attachment(filename, render_card(tally), PNG)

    return draw


def timeline_drawing(timeline: Timeline, filename: str) -> Any:
    def draw() -> Attachment:
        from bot.pictures.timeline import render_timeline

        return Attachment(filename, render_timeline(timeline), PNG)

    return draw


def show_chart(ctx: Context, args: dict[str, Any]) -> Reply:
    tracker = ctx.tracker(args.get("tracker"))
    tally = current_tally(ctx, tracker, args.get("as_of"))
    timeline = timeline_for(ctx, tracker, tally.as_of)
    day = tally.as_of.isoformat()
    card_name = f"{tracker.slug}-card-{day}.png"
    timeline_name = f"{tracker.slug}-timeline-{day}.png"
    reply = Reply(
        title=f"Charts — {tracker.title} — as of {day}",
        lines=(
            headline(tally),
            f"The tally card and the timeline from {timeline.start} to {timeline.end}.",
        ),
        colour=colour_for(tally.verdict.outcome),
        data={
            "tracker": tracker.slug,
            "as_of": day,
            "outcome": str(tally.verdict.outcome),
            "files": [card_name, timeline_name],
        },
        drawings=(card_drawing(tally, card_name), timeline_drawing(timeline, timeline_name)),
    )
    return with_page_link(ctx, tracker, reply)
