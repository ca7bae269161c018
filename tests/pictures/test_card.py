"""The card read back pixel by pixel: cells in the stance colours, the threshold where the rule
puts it, nothing blank or cut off at 32 and 200 members."""

from __future__ import annotations

from datetime import date

from bot.app import Core
from bot.demo import DEMO_TRACKER
from bot.pictures.card import card_layout, render_card
from bot.pictures.palette import LOOKS, OUTCOME_FILL, THRESHOLD, CellKind
from bot.rules import Outcome
from bot.storage import Transaction
from bot.tally import Tally, compute_tally
from tests.conftest import OPERATOR
from tests.pictures.conftest import hex_at, is_white, pixels


async def tally_of(core: Core, slug: str, as_of: str | None = None) -> Tally:
    def read(tx: Transaction) -> Tally:
        repo = tx.records
        tracker = repo.tracker_by_slug(slug)
        assert tracker is not None
        day = date.fromisoformat(as_of) if as_of else date(2026, 11, 23)
        return compute_tally(tracker, repo.body(tracker.body), day, repo.positions(tracker, day))

    return await core.store.run(read, write=False)


def corner(box: tuple[int, int, int, int]) -> tuple[int, int]:
    """A point inside a cell away from its letters (they are centred)."""
    left, top, _, _ = box
    return left + 4, top + 4


async def test_the_opposing_member_has_the_oppose_colour(demo: Core) -> None:
    tally = await tally_of(demo, DEMO_TRACKER)
    layout = card_layout(tally)
    picture = pixels(render_card(tally))
    assert picture.shape[1] == 1000 and picture.shape[0] == round(layout.height_in * 100)
    codes = [m.code for m in tally.voters]
    hungary = layout.cell_box(codes.index("HU"))
    assert hex_at(picture, *corner(hungary)) == LOOKS[CellKind.OPPOSE].fill
    lithuania = layout.cell_box(codes.index("LT"))
    assert hex_at(picture, *corner(lithuania)) == LOOKS[CellKind.SUPPORT].fill
    slovakia = layout.cell_box(codes.index("SK"))
    assert hex_at(picture, *corner(slovakia)) == LOOKS[CellKind.UNDECLARED].fill
    # Romania backs the rival: its colour, crossed by the white hatch somewhere in the cell.
    left, top, right, _bottom = layout.cell_box(codes.index("RO"))
    seen = {hex_at(picture, x, top + 3) for x in range(left + 2, right - 2)}
    assert LOOKS[CellKind.RIVAL].fill in seen and "#FFFFFF" in seen


async def test_the_banner_shows_the_outcome_colour(demo: Core) -> None:
    tally = await tally_of(demo, DEMO_TRACKER)
    assert tally.verdict.outcome is Outcome.BLOCKED
    picture = pixels(render_card(tally))
    assert hex_at(picture, 34, 128) == OUTCOME_FILL[Outcome.BLOCKED]


async def test_the_threshold_is_where_the_rule_puts_it(demo: Core) -> None:
    reply = await demo.dispatcher.run_text("tracker edit nato-sg-2024 rule=two-thirds", OPERATOR)
    assert reply.ok, reply.title
    tally = await tally_of(demo, DEMO_TRACKER)
    layout = card_layout(tally)
    (bar,) = layout.bars
    assert bar.threshold == 22 / 32  # two-thirds of 32, rounded up
    picture = pixels(render_card(tally))
    left, top, right, bottom = layout.bar_box(0)
    middle = (top + bottom) // 2
    dark = [x for x in range(left, right + 3) if hex_at(picture, x, middle) == THRESHOLD]
    expected = left + (right - left) * 22 / 32
    assert dark and abs(sum(dark) / len(dark) - expected) <= 2
    # Support (28) reaches past it: the bar is support-coloured up to 28/32 of its length.
    assert (
        hex_at(picture, left + (right - left) * 27 // 32, middle) == OUTCOME_FILL[Outcome.REACHED]
    )


async def test_qmv_draws_two_bars_at_55_and_65_percent(demo: Core) -> None:
    for text in (
        'tracker new eu-act "An EU act" kind=approval rule=qmv body=eu opened=2024-01-01',
        "declare DE,FR,IT,ES support tracker=eu-act date=2024-02-01",
    ):
        reply = await demo.dispatcher.run_text(text, OPERATOR)
        assert reply.ok, reply.title
    tally = await tally_of(demo, "eu-act")
    layout = card_layout(tally)
    assert [b.threshold for b in layout.bars] == [0.55, 0.65]
    picture = pixels(render_card(tally))
    for index, share in enumerate((0.55, 0.65)):
        left, top, right, bottom = layout.bar_box(index)
        middle = (top + bottom) // 2
        dark = [x for x in range(left, right) if hex_at(picture, x, middle) == THRESHOLD]
        assert dark and abs(sum(dark) / len(dark) - (left + (right - left) * share)) <= 2
        assert layout.threshold_x(index) in range(min(dark) - 1, max(dark) + 2)


def assert_whole(picture, layout, count: int) -> None:  # type: ignore[no-untyped-def]
    height, width, _ = picture.shape
    for index in range(count):
        left, top, right, bottom = layout.cell_box(index)
        assert 0 <= left < right <= width and 0 <= top < bottom <= height
        assert not is_white(picture, *corner(layout.cell_box(index))), f"cell {index} is blank"
    _, _, _, last_bar = layout.bar_box(len(layout.bars) - 1)
    assert last_bar < height
    # A white frame all round: nothing runs off the picture's edges.
    edge = [picture[0], picture[-1], picture[:, 0], picture[:, -1]]
    assert all((line >= 250).all() for line in edge)


async def test_thirty_two_members_are_all_drawn(demo: Core) -> None:
    tally = await tally_of(demo, DEMO_TRACKER)
    assert len(tally.voters) == 32
    assert_whole(pixels(render_card(tally)), card_layout(tally), 32)


async def test_two_hundred_members_are_all_drawn(big: Core) -> None:
    tally = await tally_of(big, "big-q")
    assert len(tally.voters) == 200
    layout = card_layout(tally)
    picture = pixels(render_card(tally))
    assert_whole(picture, layout, 200)
    codes = [m.code for m in tally.voters]
    opposing = layout.cell_box(codes.index("AA"))  # every third member opposes
    assert hex_at(picture, *corner(opposing)) == LOOKS[CellKind.OPPOSE].fill


async def test_text_with_dollars_and_emoji_is_drawn_literally(demo: Core) -> None:
    reply = await demo.dispatcher.run_text(
        'tracker edit nato-sg-2024 title="$x^2$ costs $5 🇺🇸"',
        OPERATOR,
    )
    assert reply.ok, reply.title
    tally = await tally_of(demo, DEMO_TRACKER)
    assert render_card(tally).startswith(b"\x89PNG")
