"""The tally card: title, as-of date, headline, outcome banner, one cell per member coloured by
stance, a legend, and the rule as a bar with its threshold (qmv: members and population).

The layout is computed in inches before anything is drawn (`card_layout`), so tests and the
web page can find a member's cell or the threshold in the pixels."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.members import Member
from bot.pictures.draw import DPI, fit, new_figure, png, text
from bot.pictures.palette import (
    LOOKS,
    OUTCOME_FILL,
    OUTCOME_TEXT,
    THRESHOLD,
    VETO_LABEL,
    CellKind,
    cell_kind,
)
from bot.presentation import blockers, headline, names, not_voted, state_phrase
from bot.rules import QMV_MEMBER_SHARE, QMV_POPULATION_SHARE, Outcome
from bot.tally import Tally

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Scale = Callable[[float], float]
"""Inches (from the left, or from the top) to a fraction of the figure."""

WIDTH_IN = 10.0
MARGIN_IN = 0.3
HEADER_IN = 1.75
LEGEND_IN = 0.45
BAR_IN = 0.78
FOOTER_IN = 0.1
HEADLINE_CHARS = 70


@dataclass(frozen=True)
class Bar:
    """One rule bar: how far support reaches and where the threshold is, both 0-1."""

    label: str
    reached: float
    threshold: float
    caption: str
    mark: str
    """What the threshold line says: '32 needed', '55%'."""


@dataclass(frozen=True)
class CardLayout:
    """Sizes in inches from the top-left corner; pixels are inches x DPI."""

    height_in: float
    columns: int
    rows: int
    cell_w_in: float
    cell_h_in: float
    grid_top_in: float
    bars_top_in: float
    bars: tuple[Bar, ...]
    legend: tuple[tuple[CellKind, str, float, float], ...]
    """Each legend entry: kind, label, left and top in inches (entries wrap onto rows)."""

    def cell_box(self, index: int) -> tuple[int, int, int, int]:
        """The pixel box (left, top, right, bottom) of the index-th member's cell."""
        row, column = divmod(index, self.columns)
        left = MARGIN_IN + column * self.cell_w_in
        top = self.grid_top_in + row * self.cell_h_in
        gap = CELL_GAP_IN / 2
        return (
            round((left + gap) * DPI),
            round((top + gap) * DPI),
            round((left + self.cell_w_in - gap) * DPI),
            round((top + self.cell_h_in - gap) * DPI),
        )

    def bar_box(self, index: int) -> tuple[int, int, int, int]:
        """The pixel box of the index-th rule bar (left, top, right, bottom)."""
        top = self.bars_top_in + index * BAR_IN + BAR_LABEL_IN
        return (
            round(MARGIN_IN * DPI),
            round(top * DPI),
            round((WIDTH_IN - MARGIN_IN) * DPI),
            round((top + BAR_THICK_IN) * DPI),
        )

    def threshold_x(self, index: int) -> int:
        left, _, right, _ = self.bar_box(index)
        return round(left + (right - left) * self.bars[index].threshold)


CELL_GAP_IN = 0.06
BAR_LABEL_IN = 0.22
BAR_THICK_IN = 0.26


def grid_members(tally: Tally) -> list[Member]:
    """The grid's cells: every voter (in the body's order), then each member of the day the
    rule leaves out, shown as not taking part."""
    return [*tally.voters, *(tally.body.get(c) for c in tally.not_taking_part)]


def card_headline(tally: Tally, limit: int = HEADLINE_CHARS) -> str:
    """The headline's count part; a long name is shortened, never the count ('Maximiliana …
    Wittelsbach: 9 of 32 support' keeps 'of 32')."""
    words = headline(tally).split(" · ")[0]
    if len(words) <= limit:
        return words
    count = re.search(r"(: | with )?\d+ of \d+", words)
    if count is None or count.start() < 2:
        return fit(words, limit)
    tail = words[count.start() :]
    return fit(words[: count.start()], max(limit - len(tail), 8)) + tail


def card_layout(tally: Tally) -> CardLayout:
    count = len(grid_members(tally))
    columns = 8 if count <= 48 else math.ceil(math.sqrt(count * 1.1))
    rows = max(math.ceil(count / columns), 1)
    cell_w = (WIDTH_IN - 2 * MARGIN_IN) / columns
    cell_h = 0.55 if count <= 48 else 0.42
    grid_top = HEADER_IN
    legend_top = grid_top + rows * cell_h + 0.22
    legend = _legend(tally, legend_top)
    bars = rule_bars(tally)
    bars_top = (legend[-1][3] if legend else legend_top) + LEGEND_IN
    height = bars_top + len(bars) * BAR_IN + FOOTER_IN
    return CardLayout(height, columns, rows, cell_w, cell_h, grid_top, bars_top, bars, legend)


def _legend(tally: Tally, top: float) -> tuple[tuple[CellKind, str, float, float], ...]:
    counts: dict[CellKind, int] = {}
    for member in grid_members(tally):
        kind = cell_kind(tally, member.code)
        counts[kind] = counts.get(kind, 0) + 1
    entries = []
    x, y = MARGIN_IN, top
    for kind in CellKind:
        if kind not in counts:
            continue
        label = f"{LOOKS[kind].label} ({counts[kind]})"
        if kind is CellKind.RIVAL:
            label = _rivals_label(tally, counts[kind])
        width = 0.28 + 0.075 * len(label) + 0.25
        if x + width > WIDTH_IN - MARGIN_IN and x > MARGIN_IN:
            x, y = MARGIN_IN, y + 0.34
        entries.append((kind, label, x, y))
        x += width
    return tuple(entries)


def _rivals_label(tally: Tally, count: int) -> str:
    """'backs a rival (3)', or with two rivals or more, whom: 'backs a rival (2 Iohannis,
    1 Rutte)' (the hatch is the same, so the legend says which)."""
    by_name: dict[str, int] = {}
    leader = tally.leader.id if tally.leader else None
    for code in tally.voters_codes():
        d = tally.positions.get(code)
        candidate = tally.tracker.candidate_named(d.candidate_id) if d else None
        if candidate and candidate.id != leader and cell_kind(tally, code) is CellKind.RIVAL:
            surname = candidate.name.split()[-1] if candidate.name.split() else candidate.name
            by_name[fit(surname, 14)] = by_name.get(fit(surname, 14), 0) + 1
    if len(by_name) < 2:
        return f"{LOOKS[CellKind.RIVAL].label} ({count})"
    return (
        f"{LOOKS[CellKind.RIVAL].label} ("
        + ", ".join(f"{n} {name}" for name, n in sorted(by_name.items(), key=lambda i: -i[1]))
        + ")"
    )


def rule_bars(tally: Tally) -> tuple[Bar, ...]:
    voters = max(len(tally.voters), 1)
    supporting = len(tally.supporters)
    verdict = tally.verdict
    if tally.tracker.rule.kind == "qmv":
        share = verdict.population_share or 0.0
        return (
            Bar(
                "Members",
                supporting / voters,
                QMV_MEMBER_SHARE,
                f"{supporting} of {len(tally.voters)} members; {QMV_MEMBER_SHARE:.0%} "
                f"({verdict.required}) needed",
                f"{QMV_MEMBER_SHARE:.0%}",
            ),
            Bar(
                "Population",
                share,
                QMV_POPULATION_SHARE,
                f"{share:.1%} of population; {QMV_POPULATION_SHARE:.0%} needed",
                f"{QMV_POPULATION_SHARE:.0%}",
            ),
        )
    rule = tally.tracker.rule.describe(len(tally.voters), len(tally.abstaining))
    return (
        Bar(
            "Support",
            supporting / voters,
            min(verdict.required / voters, 1.0),
            f"{supporting} of {len(tally.voters)}; {rule}",
            f"{verdict.required} needed",
        ),
    )


def banner(tally: Tally) -> str:
    verdict = tally.verdict
    if verdict.outcome is Outcome.REACHED and verdict.population_short:
        return (
            f"MET: fewer than {verdict.blocking or 4} oppose, no blocking minority "
            "(Art. 238(3)(a) TFEU)"
        )
    if verdict.outcome is Outcome.REACHED:
        return "MET: the rule is met"
    if verdict.vetoed_by:
        return f"VETOED by {names(tally.body, verdict.vetoed_by)}"
    if verdict.outcome is Outcome.BLOCKED:
        return f"BLOCKED: {blockers(tally)}"
    return f"PENDING: {state_phrase(verdict, len(tally.supporters), not_voted(tally))}"


def render_card(tally: Tally) -> bytes:
    """The card as PNG bytes."""
    from matplotlib.patches import Rectangle

    layout = card_layout(tally)
    height = layout.height_in
    figure = new_figure(WIDTH_IN, height)

    def fy(inches_from_top: float) -> float:
        return 1 - inches_from_top / height

    def fx(inches: float) -> float:
        return inches / WIDTH_IN

    tracker = tally.tracker
    text(figure, fx(MARGIN_IN), fy(0.42), fit(tracker.title, 70), size=19, weight="bold")
    status = f"{tally.body.name} · {tracker.rule} · as of {tally.as_of.isoformat()}"
    text(figure, fx(MARGIN_IN), fy(0.72), status, size=11, color="#444444")
    text(figure, fx(MARGIN_IN), fy(1.07), card_headline(tally), size=16)
    outcome = tally.verdict.outcome
    figure.patches.append(
        Rectangle(
            (fx(MARGIN_IN), fy(1.62)),
            fx(WIDTH_IN - 2 * MARGIN_IN),
            0.38 / height,
            transform=figure.transFigure,
            facecolor=OUTCOME_FILL[outcome],
            edgecolor="none",
        )
    )
    text(
        figure,
        fx(MARGIN_IN + 0.12),
        fy(1.43),
        fit(banner(tally), 95),
        size=12.5,
        weight="bold",
        va="center",
        color=OUTCOME_TEXT[outcome],
    )
    _draw_grid(figure, tally, layout, fx, fy)
    _draw_legend(figure, tally, layout, fx, fy)
    _draw_bars(figure, layout, fx, fy)
    return png(figure)


def _draw_grid(figure: Figure, tally: Tally, layout: CardLayout, fx: Scale, fy: Scale) -> None:
    from matplotlib.patches import Rectangle

    members = grid_members(tally)
    small = len(members) > 48
    name_chars = max(int(layout.cell_w_in * (11 if small else 12.5)), 4)
    veto = set(tally.tracker.rule.veto)
    for index, member in enumerate(members):
        look = LOOKS[cell_kind(tally, member.code)]
        left, top, right, bottom = (v / DPI for v in layout.cell_box(index))
        figure.patches.append(
            Rectangle(
                (fx(left), fy(bottom)),
                fx(right - left),
                (bottom - top) / layout.height_in,
                transform=figure.transFigure,
                facecolor=look.fill,
                edgecolor=look.edge or "none",
                linestyle="--" if look.edge else "-",
                hatch=look.hatch,
                hatchcolor="#FFFFFF" if look.hatch else None,
            )
        )
        middle = (left + right) / 2
        text(
            figure,
            fx(middle),
            fy(top + (bottom - top) * 0.36),
            f"{member.code} {VETO_LABEL}" if member.code in veto else member.code,
            size=8 if small else 11,
            weight="bold",
            ha="center",
            va="center",
            color=look.text,
            bbox=_label_box(look.hatch, look.fill),
        )
        text(
            figure,
            fx(middle),
            fy(top + (bottom - top) * 0.74),
            fit(member.name, name_chars),
            size=5.5 if small else 7.5,
            ha="center",
            va="center",
            color=look.text,
            bbox=_label_box(look.hatch, look.fill),
        )


def _label_box(hatch: str | None, fill: str) -> dict[str, object] | None:
    """Hatched cells keep their letters readable on a plain patch of the cell's colour."""
    if not hatch:
        return None
    return {"boxstyle": "square,pad=0.1", "facecolor": fill, "edgecolor": "none"}


def _draw_legend(figure: Figure, tally: Tally, layout: CardLayout, fx: Scale, fy: Scale) -> None:
    from matplotlib.patches import Rectangle

    for kind, label, x, top in layout.legend:
        look = LOOKS[kind]
        figure.patches.append(
            Rectangle(
                (fx(x), fy(top + 0.22)),
                fx(0.22),
                0.22 / layout.height_in,
                transform=figure.transFigure,
                facecolor=look.fill,
                edgecolor=look.edge or "#666666",
                linestyle="--" if look.edge else "-",
                linewidth=0.5,
                hatch=look.hatch,
                hatchcolor="#FFFFFF" if look.hatch else None,
            )
        )
        text(figure, fx(x + 0.28), fy(top + 0.11), label, size=9, va="center")


def _draw_bars(figure: Figure, layout: CardLayout, fx: Scale, fy: Scale) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    for index, bar in enumerate(layout.bars):
        left, top, right, bottom = (v / DPI for v in layout.bar_box(index))
        width = right - left
        text(
            figure,
            fx(left),
            fy(top - 0.06),
            f"{bar.label}: {bar.caption}",
            size=9.5,
            va="bottom",
        )
        for start, end, colour in (
            (0.0, 1.0, "#E8E8E8"),
            (0.0, min(bar.reached, 1.0), LOOKS[CellKind.SUPPORT].fill),
        ):
            if end > start:
                figure.patches.append(
                    Rectangle(
                        (fx(left + width * start), fy(bottom)),
                        fx(width * (end - start)),
                        (bottom - top) / layout.height_in,
                        transform=figure.transFigure,
                        facecolor=colour,
                        edgecolor="none",
                    )
                )
        x = fx(left + width * bar.threshold)
        text(
            figure,
            x,
            fy(bottom + 0.04),
            bar.mark,
            size=8.5,
            weight="bold",
            va="top",
            ha="right" if bar.threshold > 0.9 else "center",
        )
        figure.lines.append(
            Line2D(
                [x, x],
                [fy(bottom + 0.05), fy(top - 0.05)],
                transform=figure.transFigure,
                color=THRESHOLD,
                linewidth=2.5,
            )
        )
