"""/tally chart: the tally card and the timeline as PNG files.

The handler reads the tally and the record inside the read transaction and leaves the rest to
the dispatcher (Reply.drawings), which builds the timeline and draws on the picture thread: the
store thread and the event loop never wait for matplotlib."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.commands.context import Context
from bot.commands.params import AS_OF, TRACKER_POS
from bot.commands.reading import ReadArgs, current_tally, with_page_link
from bot.commands.spec import Command
from bot.domain import Tracker
from bot.members import Body
from bot.pictures.files import PNG, card_drawing, timeline_png
from bot.presentation import colour_for, headline
from bot.replies import Attachment, Reply
from bot.timeline import timeline_span


def timeline_drawing(
    ctx: Context, tracker: Tracker, body: Body, until: date, filename: str
) -> Callable[[], Attachment]:
    """Reads the record now (in the transaction); builds the series and draws later, on the
    picture thread: with 100,000 declarations the build alone takes a good part of a second."""
    rows = ctx.repo.position_rows(tracker.id)
    events = ctx.repo.tracker_events(tracker.id)

    def draw() -> Attachment:
        return Attachment(filename, timeline_png(tracker, body, rows, events, until), PNG)

    return draw


def show_chart(ctx: Context, args: ReadArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    tally = current_tally(ctx, tracker, args.as_of)
    start, end = timeline_span(tracker, tally.as_of)
    day = tally.as_of.isoformat()
    card_name = f"{tracker.slug}-card-{day}.png"
    timeline_name = f"{tracker.slug}-timeline-{day}.png"
    reply = Reply(
        title=f"Charts — {tracker.title} — as of {day}",
        lines=(
            headline(tally),
            f"The tally card and the timeline from {start} to {end}.",
        ),
        colour=colour_for(tally.verdict.outcome),
        data={
            "tracker": tracker.slug,
            "as_of": day,
            "outcome": str(tally.verdict.outcome),
            "files": [card_name, timeline_name],
        },
        drawings=(
            card_drawing(tally, card_name),
            timeline_drawing(ctx, tracker, tally.body, tally.as_of, timeline_name),
        ),
    )
    return with_page_link(ctx, tracker, reply)


CHART = Command(
    path=("chart",),
    summary="The tally card and the support-over-time chart, as pictures.",
    handler=show_chart,
    args=ReadArgs,
    params=(TRACKER_POS, AS_OF),
    examples=("/tally chart nato-sg-2024", "/tally chart as_of=2024-03-06"),
)
