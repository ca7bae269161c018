"""Findings of an adversarial tester on the card, the timeline and the page's grid, replayed:
one palette for card and page, members not taking part shown, vetoes named, opening-day
milestones kept, day ticks for short spans, long names shortened so counts and legends fit."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import matplotlib.dates as mdates

from adapters.web import view
from adapters.web.steps import replay
from bot.app import Core
from bot.pictures.card import banner, card_headline, card_layout, render_card
from bot.pictures.palette import LOOKS, CellKind
from bot.pictures.timeline import day_locator, render_timeline
from bot.storage import Transaction
from bot.tally import Tally, compute_tally
from bot.timeline import Timeline, build_timeline
from tests.conftest import REPO
from tests.core.test_paths_by_the_rule import GAZA_DRAFT
from tests.pictures.conftest import hex_at, is_white, pixels

P5 = "CN,FR,GB,RU,US"
CSS = REPO / "adapters" / "web" / "static" / "style.css"


async def replay_ok(run: Any, commands: list[str]) -> None:
    for text in commands:
        reply = await run(text)
        assert reply.ok, (text, reply.title)


async def read(core: Core, slug: str, day: date) -> tuple[Tally, Timeline, list[Any]]:
    def work(tx: Transaction) -> tuple[Tally, Timeline, list[Any]]:
        repo = tx.records
        tracker = repo.tracker_by_slug(slug)
        assert tracker is not None
        body = repo.body(tracker.body)
        tally = compute_tally(tracker, body, day, repo.positions(tracker, day))
        declarations = list(reversed(repo.history(tracker.id, limit=-1)))
        events = repo.tracker_events(tracker.id)
        return (
            tally,
            build_timeline(tracker, body, declarations, events, day),
            replay(tracker, body, declarations, day),
        )

    return await core.store.run(work, write=False)


def test_the_page_css_uses_the_card_palette() -> None:
    css = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text()))
    for kind, look in LOOKS.items():
        if kind is CellKind.PART_WAY:
            continue  # the support colour with a mark
        colour = look.edge or look.fill
        assert css[str(kind)].upper() == colour, kind
    assert css["support"].upper() == "#009E73" and css["rival"].upper() == "#0072B2"


async def test_members_not_taking_part_on_card_and_grid(run: Any, core: Core) -> None:
    await replay_ok(
        run,
        [
            'tracker new jha "JHA" kind=approval rule=qmv body=eu excluded="DK,IE" '
            "opened=2025-01-01",
            "declare DE support tracker=jha date=2025-01-02",
        ],
    )
    tally, _, _ = await read(core, "jha", date(2025, 1, 3))
    layout = card_layout(tally)
    picture = pixels(render_card(tally))
    index = len(tally.voters) + list(tally.not_taking_part).index("DK")
    left, top, right, _bottom = layout.cell_box(index)
    assert is_white(picture, left + 6, top + 6)  # no fill, a dashed outline
    assert any(
        hex_at(picture, x, top) == LOOKS[CellKind.NOT_TAKING_PART].edge for x in range(left, right)
    )
    assert any(label.startswith("not taking part (2)") for _, label, _, _ in layout.legend)
    cells = view.cells(tally)
    assert len(cells) == 27
    out = [c for c in cells if c.stance == view.NOT_TAKING_PART]
    assert {c.code for c in out} == {"DK", "IE"}
    assert all(c.word == "not taking part" for c in out)
    assert {"stance": "not-taking-part", "word": "not taking part", "mark": "○"} in view.legend(
        cells
    )


async def test_a_veto_on_card_timeline_and_feed(run: Any, core: Core) -> None:
    await replay_ok(run, GAZA_DRAFT)
    tally, timeline, steps = await read(core, "gaza-2023", date(2023, 12, 8))
    assert banner(tally) == "VETOED by United States"
    labels = [(e.kind, e.label) for e in timeline.events]
    assert ("blocked", "vetoed by US") in labels  # recorded entirely on the opening day
    assert any("Vetoed by United States" in note for step in steps for note in step.notes)
    render_card(tally)  # draws with the veto holders marked


async def test_a_vote_met_on_its_opening_day_has_its_milestone(run: Any, core: Core) -> None:
    await replay_ok(
        run,
        [
            'tracker new res-2728 "Resolution 2728" kind=approval body=unsc '
            f'rule=threshold=9 veto="{P5}" opened=2024-03-25',
            "declare DZ,CN,EC,FR,GY,JP,MT,MZ,KR,RU,SL,SI,CH,GB support date=2024-03-25",
            "declare US abstain date=2024-03-25",
        ],
    )
    _, timeline, steps = await read(core, "res-2728", date(2024, 3, 26))
    assert ("met", "met") in [(e.kind, e.label) for e in timeline.events]
    assert any("has the support the rule requires" in n for s in steps for n in s.notes)
    locator = day_locator(timeline.start, timeline.end)
    assert isinstance(locator, mdates.DayLocator)
    # Two years on the elected members have changed: the timeline says so, as does the tally.
    _, later, _ = await read(core, "res-2728", date(2025, 1, 2))
    assert ("membership", "terms: 5 left, 5 joined") in [(e.kind, e.label) for e in later.events]
    tally = await run("/tally res-2728")
    assert any(line.startswith("Members have changed: ") for line in tally.lines)
    assert tally.data["departed"]


async def test_long_names_keep_the_count_and_the_legend_inside(run: Any, core: Core) -> None:
    long = "Maximiliana Theodora Augusta von und zu Wittelsbach-Hohenzollern"
    await replay_ok(
        run,
        [
            f'tracker new sg "SG" kind=selection rule=unanimity candidates="{long},Ann Lee,Bo Kim" '
            "opened=2024-01-01",
            f'declare DE,FR,IT,ES,PL,NL,BE,CZ,PT support "{long}" tracker=sg date=2024-01-02',
            'declare GR support "Ann Lee" tracker=sg date=2024-01-02',
            'declare HU support "Bo Kim" tracker=sg date=2024-01-02',
        ],
    )
    tally, timeline, _ = await read(core, "sg", date(2024, 1, 3))
    headline = card_headline(tally)
    assert headline.endswith(": 9 of 31 support") and "…" in headline and len(headline) <= 70
    layout = card_layout(tally)
    assert any(
        label == "backs a rival (1 Kim, 1 Lee)" or label == "backs a rival (1 Lee, 1 Kim)"
        for _, label, _, _ in layout.legend
    )
    picture = pixels(render_timeline(timeline))
    right = picture.shape[1] - 1
    assert all(is_white(picture, right - 1, y) for y in range(picture.shape[0]))


async def test_the_page_rule_keeps_the_case_chat_uses(run: Any, core: Core) -> None:
    await replay_ok(
        run,
        [
            'tracker new eu-q "Q" kind=approval rule=qmv body=eu opened=2025-01-01',
            'tracker new sc "SC" kind=approval body=unsc rule=threshold=9 '
            f'veto="{P5}" opened=2025-01-01',
        ],
    )
    eu, _, _ = await read(core, "eu-q", date(2025, 1, 2))
    sc, _, _ = await read(core, "sc", date(2025, 1, 2))
    assert "(Art. 16(4) TEU, 238(3) TFEU)" in view.summary(eu)["rule"]
    assert view.summary(eu)["rule"].startswith("Qualified majority")
    assert "a veto (CN, FR, GB, RU, US)" in view.summary(sc)["rule"]


async def test_the_card_says_why_a_qmv_is_deemed_attained(run: Any, core: Core) -> None:
    await replay_ok(
        run,
        [
            'tracker new eu-d "Deemed" kind=approval rule=qmv body=eu opened=2025-01-01',
            "declare DE,FR,IT oppose tracker=eu-d date=2025-01-02",
        ],
    )
    tally, _, _ = await read(core, "eu-d", date(2025, 1, 2))
    rest = [m.code for m in tally.voters if m.code not in ("DE", "FR", "IT")]
    await replay_ok(run, [f"declare {','.join(rest)} support tracker=eu-d date=2025-01-02"])
    tally, _, _ = await read(core, "eu-d", date(2025, 1, 2))
    assert tally.verdict.population_short
    assert banner(tally) == "MET: fewer than 4 oppose, no blocking minority (Art. 238(3)(a) TFEU)"
    assert "deemed attained" in view.summary(tally)["outcome_text"]
