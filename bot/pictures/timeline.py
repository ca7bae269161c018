"""The timeline picture: support for each candidate (or the approvals) as a step chart, the
threshold as a black step line, and the events that mattered marked on the way.

The plot area sits at fixed figure fractions (`PLOT`) with the y axis from 0 to `y_top`, so
tests and the web page can find a value's pixel row."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.pictures.draw import DPI, FONT, fit, new_figure, png, text
from bot.pictures.palette import SERIES, THRESHOLD
from bot.rules import QMV_POPULATION_SHARE, Outcome
from bot.timeline import Timeline, TimelineEvent

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_IN = 10.0
HEIGHT_IN = 5.2
PLOT = (0.07, 0.12, 0.70, 0.68)
"""left, bottom, width, height of the plot area, as fractions of the figure."""
MAX_MARKS = 10
"""Events annotated at most: a long random history would otherwise bury the chart."""
_KEEP_FIRST = ("opened", "close", "withdrawal", "membership", "reopened", "met", "blocked")


def y_top(timeline: Timeline) -> float:
    return max(timeline.max_voters, 1) * 1.35


def x_end(timeline: Timeline) -> date:
    return max(timeline.end, timeline.start + timedelta(days=1))


def value_row(timeline: Timeline, value: float) -> int:
    """The pixel row (from the top) where `value` members sits on the y axis."""
    _left, bottom, _width, height = PLOT
    fraction = bottom + height * value / y_top(timeline)
    return round((1 - fraction) * HEIGHT_IN * DPI)


def day_column(timeline: Timeline, day: date) -> int:
    left, _, width, _ = PLOT
    span = (x_end(timeline) - timeline.start).days
    return round((left + width * (day - timeline.start).days / span) * WIDTH_IN * DPI)


def render_timeline(timeline: Timeline) -> bytes:
    """The timeline as PNG bytes."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import MaxNLocator

    figure = new_figure(WIDTH_IN, HEIGHT_IN)
    axes = figure.add_axes(PLOT)
    start, end = timeline.start, x_end(timeline)
    days = [p.day for p in timeline.points] + [end]
    xs = [mdates.date2num(d) for d in days]
    for index, name in enumerate(timeline.series):
        values = [p.support.get(name, 0) for p in timeline.points]
        leading = name == timeline.leader
        axes.step(
            xs,
            [*values, values[-1]] if values else [0, 0],
            where="post",
            color=SERIES[index % len(SERIES)],
            linewidth=3 if leading else 1.8,
            label=legend_label(name + (" (leads)" if leading and len(timeline.series) > 1 else "")),
            zorder=3 if leading else 2,
        )
    required = [p.required for p in timeline.points]
    axes.step(
        xs,
        [*required, required[-1]] if required else [0, 0],
        where="post",
        color=THRESHOLD,
        linewidth=2,
        label="threshold",
        zorder=4,
    )
    axes.set_xlim(mdates.date2num(start), mdates.date2num(end))
    axes.set_ylim(0, y_top(timeline))
    ticks = MaxNLocator(nbins=7, steps=[1, 2, 5, 10], integer=True).tick_values(
        0, timeline.max_voters
    )
    axes.set_yticks([t for t in ticks if 0 <= t <= timeline.max_voters])
    if required:
        axes.annotate(
            f"{required[-1]} needed",
            (xs[-1], required[-1]),
            xytext=(-2, 3),
            textcoords="offset points",
            ha="right",
            fontsize=8.5,
            family=FONT,
            weight="bold",
            parse_math=False,
        )
    _shade_outcomes(axes, timeline, xs)
    if timeline.tracker.rule.kind == "qmv":
        _population(axes, timeline, xs)
    axes.set_ylabel("members", family=FONT)
    locator = day_locator(start, end)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    axes.spines[["top", "right"]].set_visible(False)
    _mark_events(axes, timeline, mdates.date2num)
    legend = axes.get_legend() or axes.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        prop={"family": FONT, "size": 9},
    )
    for label in legend.get_texts():
        label.set_parse_math(False)
    text(figure, 0.07, 0.93, fit(timeline.tracker.title, 70), size=15, weight="bold")
    span = f"{timeline.start.isoformat()} to {timeline.end.isoformat()} · {timeline.tracker.rule}"
    text(figure, 0.07, 0.885, span, size=10, color="#444444")
    return png(figure)


LEGEND_WIDTH = 17
"""Characters per legend line: the legend sits right of the plot and must end inside it."""


def legend_label(name: str) -> str:
    """A series name wrapped onto at most three lines of LEGEND_WIDTH (then an ellipsis), so
    the legend never runs past the image's right edge."""
    lines = textwrap.wrap(name, LEGEND_WIDTH, break_long_words=True) or [name]
    if len(lines) > 3:
        lines = [*lines[:2], fit(lines[2] + "…", LEGEND_WIDTH)]
    return "\n".join(lines)


def day_locator(start: date, end: date) -> Any:
    """Ticks on whole days, never hours: a vote held in a day or two still reads by date."""
    import matplotlib.dates as mdates

    days = (end - start).days
    if days <= 14:
        return mdates.DayLocator(interval=max(1, math.ceil(days / 7)))
    return mdates.AutoDateLocator(minticks=3, maxticks=8)


def _population(axes: Axes, timeline: Timeline, xs: list[float]) -> None:
    """qmv's second condition on its own scale (right): population behind it, and 65%."""
    from matplotlib.ticker import PercentFormatter

    shares = [100 * (p.population_share or 0.0) for p in timeline.points]
    right = axes.twinx()
    right.step(
        xs,
        [*shares, shares[-1]] if shares else [0, 0],
        where="post",
        color=SERIES[4],
        linestyle="--",
        linewidth=2,
        label="population (right)",
    )
    right.axhline(100 * QMV_POPULATION_SHARE, color=SERIES[4], linestyle=":", linewidth=1.5)
    right.set_ylim(0, 100 * 1.35)
    right.set_yticks([0, 25, 50, 65, 100])
    right.yaxis.set_major_formatter(PercentFormatter())
    right.spines[["top"]].set_visible(False)
    handles, labels = axes.get_legend_handles_labels()
    more, more_labels = right.get_legend_handles_labels()
    axes.legend(
        handles + more,
        labels + more_labels,
        loc="upper left",
        bbox_to_anchor=(1.06, 1.0),
        frameon=False,
        prop={"family": FONT, "size": 9},
    )


SHADE = {Outcome.BLOCKED: "#D55E00", Outcome.REACHED: "#009E73"}


def _shade_outcomes(axes: Axes, timeline: Timeline, xs: list[float]) -> None:
    """A pale band behind the days the rule was met (green) or blocked (vermillion)."""
    runs: list[tuple[Outcome, int, int]] = []
    for index, point in enumerate(timeline.points):
        if runs and runs[-1][0] is point.outcome:
            runs[-1] = (point.outcome, runs[-1][1], index + 1)
        else:
            runs.append((point.outcome, index, index + 1))
    for outcome, first, last in runs:
        if outcome in SHADE:
            axes.axvspan(xs[first], xs[last], color=SHADE[outcome], alpha=0.08, linewidth=0)


def shown_events(timeline: Timeline) -> list[TimelineEvent]:
    """At most MAX_MARKS events: the rarer kinds first, each kind's earliest first."""
    chosen: list[TimelineEvent] = []
    for kind in _KEEP_FIRST:
        for event in timeline.events:
            if event.kind == kind and len(chosen) < MAX_MARKS:
                chosen.append(event)
    return sorted(chosen, key=lambda e: e.day)


def _mark_events(axes: Axes, timeline: Timeline, to_x: Callable[[date], float]) -> None:
    top = y_top(timeline)
    events = [e for e in shown_events(timeline) if e.kind != "opened"]
    for number, event in enumerate(events):
        x = to_x(event.day)
        axes.axvline(x, color="#888888", linestyle=":", linewidth=1, zorder=1)
        height = top * (0.985 - 0.062 * (number % 4))
        axes.annotate(
            fit(event.label, 26),
            (x, height),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=8,
            family=FONT,
            va="top",
            color="#222222",
            parse_math=False,
            annotation_clip=False,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "#FFFFFF", "edgecolor": "#BBBBBB"},
            zorder=5,
        )
