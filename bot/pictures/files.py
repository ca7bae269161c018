"""Pictures as reply attachments, to be drawn later (Reply.drawings) off the store thread."""

from __future__ import annotations

from collections.abc import Callable

from bot.replies import Attachment
from bot.tally import Tally

PNG = "image/png"


def card_filename(tally: Tally) -> str:
    return f"{tally.tracker.slug}-card-{tally.as_of.isoformat()}.png"


def card_drawing(tally: Tally, filename: str | None = None) -> Callable[[], Attachment]:
    """Draws the card in the picture process when called (on the picture thread)."""

    def draw() -> Attachment:
        from bot.pictures.card import render_card
        from bot.pictures.worker import render

        return Attachment(filename or card_filename(tally), render(render_card, tally), PNG)

    return draw
