"""Record-keeping costs on a tracker with 100,000 declarations over ~1,700 dates, against the
same on a 100-declaration tracker measured in the same run:

- `tracker edit rule=` (it re-tallies the latest 1,000 declaration dates before and after, to
  say which past outcomes the edit changes);
- `history` pages: the first, a deep one by `page=`, and the same by `before=ID`;
- a 10-member roll-call against 10 single declarations.

    .venv/bin/python -m bench.record_bench
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.stats import summary_ms
from bench.tally_bench import _in_process
from bench.trackers import OPERATOR, load_random
from bot.app import Core
from bot.settings import Settings
from tallybot.wiring import open_core

ROLL = ["BE", "CA", "DK", "IS", "IT", "LU", "NL", "NO", "PT", "GR"]


def _edits(core: Core, slug: str, runs: int) -> list[float]:
    async def measure() -> list[float]:
        samples = []
        for n in range(runs):
            rule = "majority" if n % 2 == 0 else "unanimity"
            start = time.perf_counter()
            reply = await core.dispatcher.run_text(f"tracker edit {slug} rule={rule}", OPERATOR)
            samples.append(time.perf_counter() - start)
            assert reply.ok, reply.title
        return samples

    return asyncio.run(measure())


def _ratio(big: list[float], small: list[float]) -> str:
    return f"{statistics.median(big) / statistics.median(small):.1f}x"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        core = open_core(Settings(db_path=Path(tmp) / "bench.db"))
        load_random(core, "big", 100_000)
        load_random(core, "small", 100)
        edit_big, edit_small = _edits(core, "big", 6), _edits(core, "small", 30)
        print(f"tracker edit rule=, 100,000 declarations: {summary_ms(edit_big)}")
        print(f"tracker edit rule=, 100 declarations:     {summary_ms(edit_small)}")
        print(f"median ratio: {_ratio(edit_big, edit_small)}")
        first = _in_process(core, "history big limit=20", 100)
        deep = _in_process(core, "history big limit=20 page=2500", 100)
        anchor = asyncio.run(core.dispatcher.run_text("history big limit=1 page=50000", OPERATOR))
        before = _in_process(
            core, f"history big limit=20 before=#{anchor.data['declarations'][0]['id']}", 100
        )
        small = _in_process(core, "history small limit=20", 100)
        print(f"history page 1, 100,000:           {summary_ms(first)}")
        print(f"history page=2500, 100,000:        {summary_ms(deep)}")
        print(f"history before=(50,000th), 100,000: {summary_ms(before)}")
        print(f"history page 1, 100:               {summary_ms(small)}")
        print(f"median ratio page 1, 100,000 / 100: {_ratio(first, small)}")
        singles = _in_process(core, "declare SK support rutte tracker=small", 30)
        roll = _in_process(core, f"declare {','.join(ROLL)} support rutte tracker=small", 30)
        print(f"declare, one member:      {summary_ms(singles)}")
        print(f"declare, 10-member roll-call: {summary_ms(roll)}")
        print(f"median ratio roll-call / single: {_ratio(roll, singles)}")
        core.close()


if __name__ == "__main__":
    main()
