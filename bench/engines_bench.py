"""SQLite and PostgreSQL side by side, in one run, on the same machine:

- `/tally` on a tracker of 100,000 declarations, median and p99, computed from the database
  every time (the read cache off) and as a repeated ask is answered (the cache on); a
  100-declaration tracker on the same engine is the baseline;
- declarations per second: 1 and 3 writer processes, each recording COUNT `/tally declare`
  through the ordinary command path (one transaction each) on one shared tracker, started
  together; 3 against 1 is the ratio.

PostgreSQL runs on a throwaway schema of the server --postgres (or TALLYBOT_TEST_POSTGRES_URL)
names; without one only SQLite is measured.

    .venv/bin/python -m bench.engines_bench [--postgres URL] [--declarations 100000]
        [--runs 300] [--count 300] [--parts tally,writers]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench.engines import add_postgres_option, db_setting, engine, engine_names
from bench.stats import percentile, summary_ms
from bench.trackers import OPERATOR, load_random
from bot.app import Core
from bot.settings import Settings
from tallybot.wiring import open_core

REPO = Path(__file__).resolve().parents[1]
WRITE_SLUG = "writes"


def _ask(core: Core, text: str, runs: int) -> list[float]:
    async def measure() -> list[float]:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            reply = await core.dispatcher.run_text(text, OPERATOR)
            samples.append(time.perf_counter() - start)
            assert reply.ok, reply.title
        return samples

    return asyncio.run(measure())


def tally(name: str, database: str, declarations: int, runs: int) -> dict[str, list[float]]:
    core = open_core(Settings(db_path=db_setting(database)))
    try:
        started = time.perf_counter()
        load_random(core, "big", declarations)
        load_random(core, "small", 100)
        print(
            f"{name}: loaded {declarations + 100:,} declarations in "
            f"{time.perf_counter() - started:.1f} s"
        )
        cache = core.dispatcher.cache
        core.dispatcher.cache = None
        figures = {
            "big": _ask(core, "/tally big", runs),
            "small": _ask(core, "/tally small", runs),
            "past": _ask(core, "/tally big as_of=2022-06-01", runs),
        }
        core.dispatcher.cache = cache
        figures["cached"] = _ask(core, "/tally big", runs)
        return figures
    finally:
        core.close()


# -- writers ---------------------------------------------------------------------------------


def _declarations(worker: int, count: int, codes: list[str]) -> list[str]:
    """Distinct (member, date) per writer so no two declarations repeat each other."""
    start = date(2020, 1, 2)
    return [
        f"/tally declare {codes[(worker * 7 + i) % len(codes)]} "
        f"{'support' if i % 3 else 'oppose'} tracker={WRITE_SLUG} "
        f"date={start + timedelta(days=(worker * count + i) % 2000)}"
        for i in range(count)
    ]


def worker(database: str, index: int, count: int) -> None:
    """One writer process: opens the store, says ready, waits for a line on stdin, then
    records its declarations and prints {"start", "end", "failed"} as JSON."""
    core = open_core(Settings(db_path=db_setting(database)))
    codes = [m.code for m in core.store.run_blocking(lambda tx: tx.records.body("nato")).members]
    texts = _declarations(index, count, codes)
    print("ready", flush=True)
    sys.stdin.readline()

    async def write() -> tuple[float, float, list[str]]:
        failed = []
        start = time.time()
        for text in texts:
            reply = await core.dispatcher.run_text(text, OPERATOR)
            if not reply.ok:
                failed.append(reply.title)
        return start, time.time(), failed

    start, end, failed = asyncio.run(write())
    core.close()
    print(json.dumps({"start": start, "end": end, "failed": failed}), flush=True)


async def _writers(database: str, processes: int, count: int) -> tuple[float, int, list[str]]:
    env = {**os.environ, "TALLYBOT_LOG_LEVEL": "WARNING"}
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.engines_bench",
            "--worker",
            database,
            str(n),
            str(count),
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        line = await child.stdout.readline()
        if line.strip() != b"ready":
            raise SystemExit(f"writer did not start: {line!r}")
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        await child.stdin.drain()
    results = []
    for child in children:
        out, _ = await child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"writer exited {child.returncode}")
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    failed = [f for r in results for f in r["failed"]]
    return span, processes * count - len(failed), failed


def writers(database: str, count: int) -> dict[int, tuple[float, int, list[str]]]:
    core = open_core(Settings(db_path=db_setting(database)))
    try:

        async def create() -> None:
            reply = await core.dispatcher.run_text(
                f'tracker new {WRITE_SLUG} "Writers" kind=approval rule=unanimity '
                "opened=2020-01-01",
                OPERATOR,
            )
            assert reply.ok, reply.title

        asyncio.run(create())
    finally:
        core.close()
    return {n: asyncio.run(_writers(database, n, count)) for n in (1, 3)}


def _ms(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples) * 1000, percentile(samples, 99) * 1000


def main(argv: list[str] | None = None) -> None:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--worker"]:
        worker(args_in[1], int(args_in[2]), int(args_in[3]))
        return
    parser = argparse.ArgumentParser(prog="bench.engines_bench", description=__doc__)
    add_postgres_option(parser)
    parser.add_argument("--declarations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--count", type=int, default=300, help="declarations per writer")
    parser.add_argument("--parts", default="tally,writers", help="tally, writers or both")
    args, _ = parser.parse_known_args(args_in)
    parts = set(args.parts.split(","))
    names = engine_names(args.postgres)
    reads: dict[str, dict[str, list[float]]] = {}
    writes: dict[str, dict[int, tuple[float, int, list[str]]]] = {}
    for name in names:
        if "tally" in parts:
            with engine(name, args.postgres) as database:
                reads[name] = tally(name, database, args.declarations, args.runs)
        if "writers" in parts:
            with engine(name, args.postgres) as database:
                writes[name] = writers(database, args.count)

    if reads:
        print(f"\n/tally, in-process, {args.runs} asks each (ms):")
    for name in reads:
        r = reads[name]
        print(f"  {name:<10} {args.declarations:,} declarations, no cache: {summary_ms(r['big'])}")
        print(f"  {name:<10} as_of 2022-06-01, no cache:            {summary_ms(r['past'])}")
        print(f"  {name:<10} 100 declarations, no cache:            {summary_ms(r['small'])}")
        print(
            f"  {name:<10} {args.declarations:,}, repeated (read cache): {summary_ms(r['cached'])}"
        )
        ratio = statistics.median(r["big"]) / statistics.median(r["small"])
        print(f"  {name:<10} ratio {args.declarations:,} / 100 declarations (median): {ratio:.2f}")
    if "PostgreSQL" in reads:
        pg, lite = reads["PostgreSQL"], reads["SQLite"]
        for key, label in (("big", "no cache"), ("cached", "read cache")):
            (pm, pp), (sm, sp) = _ms(pg[key]), _ms(lite[key])
            print(
                f"  PostgreSQL / SQLite at {args.declarations:,}, {label}: median {pm / sm:.2f}x, "
                f"p99 {pp / sp:.2f}x"
            )

    if writes:
        print(
            f"\ndeclarations per second, {args.count} `/tally declare` per writer process, "
            "one tracker:"
        )
    for name in writes:
        rates = {}
        for processes, (span, ok, failed) in writes[name].items():
            rates[processes] = ok / span
            refused = f"; {len(failed)} refused ({failed[0]})" if failed else ""
            print(
                f"  {name:<10} {processes} process{'es' if processes > 1 else ''}: "
                f"{ok} recorded in {span:.2f} s = {ok / span:,.0f}/s{refused}"
            )
        print(f"  {name:<10} 3 processes / 1 process: {rates[3] / rates[1]:.2f}x")
    if "PostgreSQL" in writes:
        for processes in (1, 3):
            pg_span, pg_ok, _ = writes["PostgreSQL"][processes]
            lite_span, lite_ok, _ = writes["SQLite"][processes]
            print(
                f"  PostgreSQL / SQLite, {processes} process(es): "
                f"{(pg_ok / pg_span) / (lite_ok / lite_span):.2f}x"
            )


if __name__ == "__main__":
    main()
