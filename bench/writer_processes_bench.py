"""Declarations per second with 1 and with 3 writer processes, on SQLite and PostgreSQL in one
run: each process records COUNT `/tally declare` through the ordinary command path (one
transaction each, the operator's, so no write limit) on one shared tracker, all started
together; the 1-process rate on the same engine is the baseline (3 processes / 1), and any
declaration refused (a Busy answer) is counted and shown.

PostgreSQL runs on a throwaway schema of the server --postgres (or TALLYBOT_TEST_POSTGRES_URL)
names; without one only SQLite is measured.

    .venv/bin/python -m bench.writer_processes_bench [--postgres URL] [--count 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench.engines import add_postgres_option, db_setting, engine, engine_names
from bench.trackers import OPERATOR
from bot.settings import Settings
from tallybot.wiring import open_core

REPO = Path(__file__).resolve().parents[1]
WRITE_SLUG = "writes"


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
            "bench.writer_processes_bench",
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


def main(argv: list[str] | None = None) -> None:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--worker"]:
        worker(args_in[1], int(args_in[2]), int(args_in[3]))
        return
    parser = argparse.ArgumentParser(prog="bench.writer_processes_bench", description=__doc__)
    add_postgres_option(parser)
    parser.add_argument("--count", type=int, default=300, help="declarations per writer")
    args, _ = parser.parse_known_args(args_in)
    writes: dict[str, dict[int, tuple[float, int, list[str]]]] = {}
    for name in engine_names(args.postgres):
        with engine(name, args.postgres) as database:
            writes[name] = writers(database, args.count)
    print(
        f"declarations per second, {args.count} `/tally declare` per writer process, one tracker:"
    )
    for name, by_count in writes.items():
        rates = {}
        for processes, (span, ok, failed) in by_count.items():
            rates[processes] = ok / span
            refused = f"; {len(failed)} refused ({failed[0]})" if failed else "; none refused"
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
