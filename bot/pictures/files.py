"""Pictures as PNG bytes and as reply attachments, drawn off the store thread and the event loop.

`card_png` and `timeline_png` run on the picture thread (bot/pictures/worker.py): the timeline
is built there (pure Python) and matplotlib draws in the picture process. Chat replies and the
public pages both go through them, so both draw the same pictures the same way."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from bot.domain import Tracker
from bot.members import Body
from bot.replies import Attachment
from bot.tally import Tally
from bot.timeline import PositionRow, build_timeline_from_rows

PNG = "image/png"


def card_filename(tally: Tally) -> str:
    return f"{tally.tracker.slug}-card-{tally.as_of.isoformat()}.png"


def card_png(tally: Tally) -> bytes:
    """The card, drawn in the picture process. Call on the picture thread."""
    from bot.pictures.card import render_card
    from bot.pictures.worker import render

    return render(render_card, tally)


def timeline_png(
    tracker: Tracker,
    body: Body,
    rows: Sequence[PositionRow],
    events: Sequence[Mapping[str, Any]],
    until: date,
) -> bytes:
    """The timeline from the store's rows (read in the transaction), built here and drawn in
    the picture process. Call on the picture thread: with 100,000 declarations the build alone
    takes a good part of a second."""
    from bot.pictures.timeline import render_timeline
    from bot.pictures.worker import render

    return render(render_timeline, build_timeline_from_rows(tracker, body, rows, events, until))


def card_drawing(tally: Tally, filename: str | None = None) -> Callable[[], Attachment]:
    """Draws the card in the picture process when called (on the picture thread)."""

    def draw() -> Attachment:
        return Attachment(filename or card_filename(tally), card_png(tally), PNG)

    return draw
