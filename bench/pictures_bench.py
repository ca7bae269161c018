"""Picture render times: the card and the timeline at 32 and 200 members and on a tracker with
100,000 declarations, against the floor of any matplotlib PNG of the same size (a blank figure
saved, measured in the same run); `/tally chart` end to end against `/tally`; and the longest
stall of the event loop while charts are drawn (it should stay near the ticker's period).

    .venv/bin/python -m bench.pictures_bench
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from bench.stats import percentile, summary_ms
from bench.trackers import OPERATOR, load_random
from bot.app import Core
from bot.demo import DEMO_COMMANDS, DEMO_TRACKER
from bot.members import Member
from bot.pictures.card import render_card
from bot.pictures.draw import new_figure, png
from bot.pictures.timeline import render_timeline
from bot.settings import Settings
from bot.storage import Transaction
from bot.tally import Tally, compute_tally
from bot.timeline import Timeline, build_timeline_from_rows
from tallybot.wiring import open_core

RUNS = 30
TICK = 0.005


def _times(work: Callable[[], object], runs: int = RUNS) -> list[float]:
    work()  # warm: fonts and caches, as a running bot has them
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return samples


def _blank() -> bytes:
    figure = new_figure(10, 5.2)
    figure.add_axes((0, 0, 1, 1)).set_axis_off()
    return png(figure)


def _commands(core: Core, texts: list[str]) -> None:
    async def run() -> None:
        for text in texts:
            reply = await core.dispatcher.run_text(text, OPERATOR)
            assert reply.ok, (text, reply.title)

    asyncio.run(run())


def _big_body(core: Core) -> None:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = [a + b for a in letters for b in letters][:200]
    members = [
        Member(code, f"Member state {n:03d}", date(2000, 1, 1), population=1_000_000 + n)
        for n, code in enumerate(codes)
    ]
    core.store.run_blocking(
        lambda tx: tx.records.save_body("big", "Big Assembly", members, datetime.now(UTC))
    )
    _commands(
        core,
        [
            'tracker new wide "Two hundred members" kind=selection rule=majority body=big '
            'candidates="Alice Example,Bob Example" opened=2025-01-01',
            f"declare {','.join(codes[0::3])} oppose alice tracker=wide date=2025-02-01",
            f"declare {','.join(codes[1::3])} support alice tracker=wide date=2025-03-01",
            f"declare {','.join(codes[2::6])} support bob tracker=wide date=2025-04-01",
        ],
    )


def _inputs(core: Core, slug: str, day: date) -> tuple[Tally, Timeline, float]:
    """The tally and the timeline, and how long building the timeline took (its share)."""

    def read(tx: Transaction) -> tuple[Tally, Timeline, float]:
        repo = tx.records
        tracker = repo.tracker_by_slug(slug)
        assert tracker is not None
        body = repo.body(tracker.body)
        tally = compute_tally(tracker, body, day, repo.positions(tracker, day))
        rows = repo.position_rows(tracker.id)
        events = repo.tracker_events(tracker.id)
        start = time.perf_counter()
        timeline = build_timeline_from_rows(tracker, body, rows, events, day)
        return tally, timeline, time.perf_counter() - start

    return core.store.run_blocking(read)


def _dispatch(core: Core, text: str, runs: int) -> tuple[list[float], float]:
    """End-to-end latency of `text`, and the event loop's longest stall meanwhile (a ticker
    sleeping TICK at a time; its lateness is how long the loop could not run)."""

    async def measure() -> tuple[list[float], float]:
        stall = 0.0
        done = False

        async def ticker() -> None:
            nonlocal stall
            while not done:
                before = time.perf_counter()
                await asyncio.sleep(TICK)
                stall = max(stall, time.perf_counter() - before - TICK)

        ticking = asyncio.ensure_future(ticker())
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            reply = await core.dispatcher.run_text(text, OPERATOR)
            samples.append(time.perf_counter() - start)
            assert reply.ok, reply.title
        done = True
        await ticking
        return samples, stall

    return asyncio.run(measure())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        core = open_core(Settings(db_path=Path(tmp) / "bench.db"))
        _commands(core, list(DEMO_COMMANDS))
        _big_body(core)
        started = time.perf_counter()
        load_random(core, "random", 100_000)
        print(f"loaded 100,000 declarations in {time.perf_counter() - started:.1f} s")
        cases = {
            "32 members (demo)": _inputs(core, DEMO_TRACKER, date(2024, 4, 30)),
            "200 members": _inputs(core, "wide", date(2025, 6, 1)),
            "100,000 declarations (32 members)": _inputs(core, "random", date(2024, 8, 1)),
        }
        blank = statistics.median(_times(_blank))
        print(f"baseline, a blank 10x5.2 in figure saved as PNG: median {blank * 1000:.2f} ms")
        for name, (tally, timeline, built) in cases.items():
            card = _times(lambda tally=tally: render_card(tally))
            line = _times(lambda timeline=timeline: render_timeline(timeline))
            print(f"card, {name}: {summary_ms(card)}; x{statistics.median(card) / blank:.1f}")
            print(
                f"timeline, {name}: {summary_ms(line)}; x{statistics.median(line) / blank:.1f}"
                f" ({len(timeline.points)} steps, built in {built * 1000:.1f} ms)"
            )
        text_only, text_stall = _dispatch(core, "/tally random as_of=2024-08-01", RUNS)
        chart, stall = _dispatch(core, "/tally chart random as_of=2024-08-01", RUNS)
        _, export_stall = _dispatch(core, "/tally export random format=csv", 5)
        core.close()
        print(f"/tally, 100,000 declarations: {summary_ms(text_only)}")
        print(f"/tally chart, 100,000 declarations (load, build, draw both): {summary_ms(chart)}")
        ratio = statistics.median(chart) / statistics.median(text_only)
        print(f"median ratio /tally chart / /tally: {ratio:.1f}")
        print(
            f"event loop's longest stall while charts were drawn: {stall * 1000:.1f} ms; "
            f"while /tally ran: {text_stall * 1000:.1f} ms; while /tally export (no picture, "
            f"the same 100,000 rows read) ran: {export_stall * 1000:.1f} ms "
            f"(ticker every {TICK * 1000:.0f} ms; p99 chart {percentile(chart, 99) * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
