"""What both pictures share: a matplotlib figure on the Agg canvas, text that is never read as
mathtext, and the PNG bytes.

matplotlib is imported here, lazily, by whoever draws. No pyplot: a bare Figure on its own
canvas holds no global state, so pictures can be drawn on any worker thread."""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100
FONT = "DejaVu Sans"
"""Shipped inside matplotlib: nothing is downloaded, every machine draws the same letters."""


def new_figure(width_in: float, height_in: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor="#FFFFFF")
    FigureCanvasAgg(figure)
    return figure


def text(target: Any, x: float, y: float, words: str, **style: Any) -> Any:
    """User text (titles, names) drawn literally: a '$' never starts mathtext."""
    style.setdefault("family", FONT)
    return target.text(x, y, words, parse_math=False, **style)


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes, at its own size (no tight box: geometry stays predictable)."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        # A glyph DejaVu lacks (an emoji in a title) is drawn as a box, not an error.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def fit(words: str, limit: int) -> str:
    return words if len(words) <= limit else words[: max(limit - 1, 1)] + "…"
