"""SQLite against PostgreSQL in one run: `/tally` on a tracker of 100,000 declarations (read
cache off, so every answer reads the store; and with the cache, as the bot runs), and
`/tally declare` one after another in one process (declarations per second).

    TALLYBOT_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.engines_bench

The PostgreSQL side runs in a schema of its own (`bench_<random>`), dropped at the end; the URL
defaults to TALLYBOT_TEST_POSTGRES_URL. Without either, only SQLite is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench.stats import summary_ms
from bench.trackers import OPERATOR, load_random
from bot.app import Core
from bot.settings import Settings
from tallybot.wiring import open_core

DECLARATIONS = 100_000
READS = 300
DECLARES = 300


@contextlib.contextmanager
def _postgres(url: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _times(core: Core, texts: list[str]) -> list[float]:
    async def measure() -> list[float]:
        samples = []
        for text in texts:
            start = time.perf_counter()
            reply = await core.dispatcher.run_text(text, OPERATOR)
            samples.append(time.perf_counter() - start)
            assert reply.ok, reply.title
        return samples

    return asyncio.run(measure())


def _measure(name: str, where: str | Path) -> dict[str, list[float]]:
    core = open_core(Settings(db_path=where))
    try:
        started = time.perf_counter()
        load_random(core, "big", DECLARATIONS)
        print(
            f"{name}: loaded {DECLARATIONS:,} declarations in {time.perf_counter() - started:.1f} s"
        )
        cache = core.dispatcher.cache
        results = {"cached": _times(core, ["/tally big"] * READS)}
        core.dispatcher.cache = None
        results["uncached"] = _times(core, ["/tally big"] * READS)
        results["as_of"] = _times(core, ["/tally big as_of=2022-06-01"] * READS)
        core.dispatcher.cache = cache
        codes = ["HU", "SK", "TR", "PL", "DE"]
        results["declare"] = _times(
            core,
            [
                f"/tally declare {codes[n % 5]} support rutte tracker=big "
                f"date=2024-{n % 12 + 1:02d}-01"
                for n in range(DECLARES)
            ],
        )
    finally:
        core.close()
    return results


def main() -> None:
    url = os.environ.get("TALLYBOT_BENCH_POSTGRES_URL") or os.environ.get(
        "TALLYBOT_TEST_POSTGRES_URL"
    )
    runs: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs["sqlite"] = _measure("sqlite", Path(tmp) / "bench.db")
    if url:
        with _postgres(url) as where:
            runs["postgres"] = _measure("postgres", where)
    else:
        print("postgres: skipped (set TALLYBOT_BENCH_POSTGRES_URL)")
    for label, key in (
        ("/tally, 100,000 declarations, no cache", "uncached"),
        ("/tally as_of a past date, no cache", "as_of"),
        ("/tally, 100,000 declarations, read cache on", "cached"),
        ("/tally declare, one after another", "declare"),
    ):
        for engine, results in runs.items():
            print(f"{label} [{engine}]: {summary_ms(results[key])}")
    for engine, results in runs.items():
        rate = len(results["declare"]) / sum(results["declare"])
        print(f"declarations per second, one process [{engine}]: {rate:.0f}")
    if "postgres" in runs:
        ratio = statistics.median(runs["postgres"]["uncached"]) / statistics.median(
            runs["sqlite"]["uncached"]
        )
        print(f"uncached /tally median, postgres / sqlite: {ratio:.2f}x")


if __name__ == "__main__":
    main()
