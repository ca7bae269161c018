"""The timeline: the step series from the record, then the picture read back pixel by pixel."""

from __future__ import annotations

from datetime import date

from bot.app import Core
from bot.demo import DEMO_TRACKER
from bot.pictures.palette import SERIES, THRESHOLD
from bot.pictures.timeline import PLOT, day_column, render_timeline, value_row
from bot.rules import Outcome
from bot.storage import Transaction
from bot.timeline import Timeline, build_timeline, build_timeline_from_rows
from tests.conftest import OPERATOR
from tests.pictures.conftest import hex_at, pixels


async def timeline_of(core: Core, slug: str, until: date) -> Timeline:
    def read(tx: Transaction) -> Timeline:
        repo = tx.records
        tracker = repo.tracker_by_slug(slug)
        assert tracker is not None
        return build_timeline(
            tracker,
            repo.body(tracker.body),
            repo.history(tracker.id, limit=-1),
            repo.tracker_events(tracker.id),
            until,
        )

    return await core.store.run(read, write=False)


async def test_the_demo_series_steps_on_each_reported_day(demo: Core) -> None:
    timeline = await timeline_of(demo, DEMO_TRACKER, date(2024, 4, 30))
    assert (timeline.start, timeline.end) == (date(2024, 2, 22), date(2024, 4, 30))
    assert timeline.series == ("Mark Rutte", "Klaus Iohannis")
    assert timeline.leader == "Mark Rutte"
    steps = [
        (p.day, p.support["Mark Rutte"], p.support["Klaus Iohannis"], p.required, p.outcome)
        for p in timeline.points
    ]
    assert steps == [
        (date(2024, 2, 22), 4, 0, 31, Outcome.PENDING),
        (date(2024, 3, 5), 4, 0, 31, Outcome.BLOCKED),
        (date(2024, 3, 7), 4, 0, 32, Outcome.BLOCKED),  # Sweden joins: 31 -> 32
        (date(2024, 3, 12), 4, 1, 32, Outcome.BLOCKED),
        (date(2024, 4, 2), 28, 1, 32, Outcome.BLOCKED),
    ]
    marks = [(e.day, e.kind, e.label) for e in timeline.events]
    assert (date(2024, 3, 5), "blocked", "blocked by HU") in marks
    assert (date(2024, 3, 7), "membership", "31 -> 32") in marks


async def test_withdrawal_met_and_close_are_marked(demo: Core) -> None:
    for text in (
        "tracker withdraw nato-sg-2024 iohannis date=2024-04-20",
        "declare HU,SK,TR,RO support rutte date=2024-06-18",
        'tracker close nato-sg-2024 outcome="Mark Rutte appointed" date=2024-06-26',
    ):
        reply = await demo.dispatcher.run_text(text, OPERATOR)
        assert reply.ok, reply.title
    timeline = await timeline_of(demo, DEMO_TRACKER, date(2026, 11, 23))
    assert timeline.end == date(2024, 6, 26)  # a closed tracker's line ends at its close
    kinds = {e.kind: e for e in timeline.events}
    assert kinds["withdrawal"].day == date(2024, 4, 20)
    assert kinds["withdrawal"].label == "Klaus Iohannis withdrew"
    assert kinds["met"].day == date(2024, 6, 18)
    assert kinds["close"].day == date(2024, 6, 26)
    assert timeline.points[-1].support["Mark Rutte"] == 32


async def test_retracted_declarations_leave_the_series(demo: Core) -> None:
    reply = await demo.dispatcher.run_text('retract 5 reason="misattributed"', OPERATOR)
    assert reply.ok, reply.title  # #5 is Hungary's opposition
    timeline = await timeline_of(demo, DEMO_TRACKER, date(2024, 4, 30))
    assert all(p.outcome is not Outcome.BLOCKED for p in timeline.points)


async def test_the_threshold_line_is_where_the_rule_puts_it(demo: Core) -> None:
    timeline = await timeline_of(demo, DEMO_TRACKER, date(2024, 4, 30))
    picture = pixels(render_timeline(timeline))
    assert picture.shape[:2] == (520, 1000)
    after_sweden = range(
        day_column(timeline, date(2024, 3, 20)), day_column(timeline, date(2024, 4, 28))
    )
    row = value_row(timeline, 32)
    for x in after_sweden:
        near = {hex_at(picture, x, y) for y in range(row - 1, row + 2)}
        assert THRESHOLD in near, f"no threshold at column {x}"
    # Before Sweden joined, the threshold stood at 31, one step lower.
    row_31 = value_row(timeline, 31)
    x = day_column(timeline, date(2024, 2, 26))
    assert THRESHOLD in {hex_at(picture, x, y) for y in range(row_31 - 1, row_31 + 2)}
    # The leader's line reaches 28 after 2 April.
    row_28 = value_row(timeline, 28)
    x = day_column(timeline, date(2024, 4, 20))
    assert SERIES[0] in {hex_at(picture, x, y) for y in range(row_28 - 2, row_28 + 3)}


async def test_two_hundred_members_draw_a_whole_timeline(big: Core) -> None:
    timeline = await timeline_of(big, "big-q", date(2025, 6, 1))
    assert timeline.max_voters == 200
    picture = pixels(render_timeline(timeline))
    row = value_row(timeline, 101)  # majority of 200
    x = day_column(timeline, date(2025, 5, 1))
    assert THRESHOLD in {hex_at(picture, x, y) for y in range(row - 1, row + 2)}
    edge = [picture[0], picture[-1], picture[:, 0], picture[:, -1]]
    assert all((line >= 250).all() for line in edge)


async def test_qmv_draws_the_population_condition_too(demo: Core) -> None:
    for text in (
        'tracker new eu-act "An EU act" kind=approval rule=qmv body=eu opened=2024-01-01',
        "declare DE,FR,IT,ES support tracker=eu-act date=2024-02-01",
    ):
        assert (await demo.dispatcher.run_text(text, OPERATOR)).ok
    timeline = await timeline_of(demo, "eu-act", date(2024, 3, 1))
    last = timeline.points[-1]
    assert (last.support["Approved"], last.required) == (4, 15)
    assert last.population_share is not None and 0.57 < last.population_share < 0.58
    picture = pixels(render_timeline(timeline))
    edge = [picture[0], picture[-1], picture[:, 0], picture[:, -1]]
    assert all((line >= 250).all() for line in edge)
    # The population line (dashed, orange) at 57.7% of the right axis's 0-135% scale.
    _left, bottom, _width, height = PLOT
    row = round((1 - (bottom + height * 57.7 / 135)) * 520)
    x = day_column(timeline, date(2024, 2, 20))
    assert SERIES[4] in {
        hex_at(picture, x + dx, y) for dx in range(-6, 7) for y in range(row - 2, row + 3)
    }


async def test_the_stores_plain_rows_give_the_same_timeline(demo: Core) -> None:
    for text in (
        "declare HU support rutte date=2024-04-02",  # a second one the same day: it wins
        'retract 5 reason="misattributed"',
        "declare SK undecided date=2024-04-05",
    ):
        assert (await demo.dispatcher.run_text(text, OPERATOR)).ok

    def both(tx: Transaction) -> tuple[Timeline, Timeline]:
        repo = tx.records
        tracker = repo.tracker_by_slug(DEMO_TRACKER)
        assert tracker is not None
        body, events, until = repo.body("nato"), repo.tracker_events(tracker.id), date(2024, 5, 1)
        return (
            build_timeline(tracker, body, repo.history(tracker.id, limit=-1), events, until),
            build_timeline_from_rows(tracker, body, repo.position_rows(tracker.id), events, until),
        )

    from_declarations, from_rows = await demo.store.run(both, write=False)
    assert from_rows == from_declarations
    assert from_rows.points[-1].support["Mark Rutte"] == 29
