"""`/tally` latency on a tracker with 100,000 declarations, in-process and through
`tallybot exec`; and the same on a 100-declaration tracker, to show the read does not grow with
the history.

    .venv/bin/python -m bench.tally_bench
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.launcher import default_launcher
from bench.stats import summary_ms
from bench.trackers import OPERATOR, load_random
from bot.app import Core
from bot.settings import Settings
from tallybot.wiring import open_core


def _in_process(core: Core, text: str, runs: int) -> list[float]:
    async def measure() -> list[float]:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            reply = await core.dispatcher.run_text(text, OPERATOR)
            samples.append(time.perf_counter() - start)
            assert reply.ok, reply.title
        return samples

    return asyncio.run(measure())


def _through_exec(db: Path, text: str, runs: int) -> list[float]:
    env = {**os.environ, "TALLYBOT_DB": str(db)}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [*default_launcher(), "exec", "--json", text],
            check=True,
            capture_output=True,
            env=env,
        )
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        core = open_core(Settings(db_path=db))
        started = time.perf_counter()
        load_random(core, "big", 100_000)
        load_random(core, "small", 100)
        print(f"loaded 100,100 declarations in {time.perf_counter() - started:.1f} s")
        big = _in_process(core, "/tally big", 300)
        small = _in_process(core, "/tally small", 300)
        past = _in_process(core, "/tally big as_of=2022-06-01", 300)
        history = _in_process(core, "/tally history big limit=20", 300)
        core.close()
        print(f"in-process /tally, 100,000 declarations: {summary_ms(big)}")
        print(f"in-process /tally as_of a past date, 100,000: {summary_ms(past)}")
        print(f"in-process /tally, 100 declarations:     {summary_ms(small)}")
        print(f"in-process /tally history limit=20, 100,000: {summary_ms(history)}")
        ratio = statistics.median(big) / statistics.median(small)
        print(f"median ratio 100,000 / 100 declarations: {ratio:.2f}")
        exec_big = _through_exec(db, "/tally big", 15)
        print(f"tallybot exec --json '/tally big' (new process each): {summary_ms(exec_big)}")


if __name__ == "__main__":
    main()
