"""Writers on one SQLite file: 50 `tallybot exec "/tally declare ..."` processes started at
once (how many succeed, how long each takes), against baselines measured in the same run: 50
reader processes (`/tally`, which never waits for the write lock) started at once on the same
busy machine, one exec process alone, and the same 50 declarations one after the other in one
process. Then the cost of one declaration with 10 and with 10,000 earlier declarations of the
same member.

    .venv/bin/python -m bench.writers_bench
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.stats import summary_ms
from bot.app import Core
from bot.commands.context import Actor
from bot.domain import NewDeclaration, Stance
from bot.settings import Settings
from tallybot.wiring import open_core

OPERATOR = Actor("console", "local", "bench", "bench", platform_moderator=True)
WRITERS = 50
HISTORY = 10_000
REPO = Path(__file__).resolve().parents[1]
LOCK_WAIT = re.compile(r"write lock taken after ([0-9.]+) ms")
"""Logged at DEBUG by store.database.transaction: how long BEGIN IMMEDIATE waited."""


def declarations(codes: list[str], slug: str) -> list[str]:
    """WRITERS declarations spread over the members, one per day so none repeats another."""
    start = date(2024, 1, 1)
    return [
        f"/tally declare {codes[i % len(codes)]} {'support' if i % 3 else 'oppose'} "
        f"tracker={slug} date={start + timedelta(days=i)} source=https://example.org/{i}"
        for i in range(WRITERS)
    ]


def _open_tracker(core: Core, slug: str) -> list[str]:
    async def create() -> None:
        reply = await core.dispatcher.run_text(
            f'tracker new {slug} "Bench {slug}" kind=approval rule=unanimity opened=2020-01-01',
            OPERATOR,
        )
        assert reply.ok, reply.title

    asyncio.run(create())
    return [m.code for m in core.store.run_blocking(lambda tx: tx.records.body("nato")).members]


async def _spawn(db: Path, text: str) -> tuple[int, float, str]:
    env = {**os.environ, "TALLYBOT_DB": str(db), "TALLYBOT_LOG_LEVEL": "DEBUG"}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tallybot",
        "exec",
        text,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    elapsed = time.perf_counter() - started
    return int(process.returncode or 0), elapsed, (out + err).decode(errors="replace")


async def _parallel(db: Path, texts: list[str]) -> list[tuple[int, float, str]]:
    return list(await asyncio.gather(*(_spawn(db, t) for t in texts)))


def _sequential(core: Core, texts: list[str]) -> list[float]:
    async def measure() -> list[float]:
        samples = []
        for text in texts:
            start = time.perf_counter()
            reply = await core.dispatcher.run_text(text, OPERATOR)
            samples.append(time.perf_counter() - start)
            assert reply.ok, reply.title
        return samples

    return asyncio.run(measure())


def _stored(core: Core, slug: str) -> int:
    return core.store.run_blocking(
        lambda tx: tx.records.count_declarations(tx.records.tracker_by_slug(slug).id)
    )


def parallel_writers(tmp: Path) -> None:
    db = tmp / "writers.db"
    core = open_core(Settings(db_path=db))
    codes = _open_tracker(core, "alone")
    _open_tracker(core, "crowd")
    baseline = _sequential(core, declarations(codes, "alone"))
    core.close()

    started = time.perf_counter()
    results = asyncio.run(_parallel(db, declarations(codes, "crowd")))
    makespan = time.perf_counter() - started
    ok = [elapsed for status, elapsed, _ in results if status == 0]
    failed = [out for status, _, out in results if status != 0]
    readers = asyncio.run(
        _parallel(
            db,
            [f"/tally crowd as_of={date(2024, 1, 1) + timedelta(days=n)}" for n in range(WRITERS)],
        )
    )
    read_ok = [elapsed for status, elapsed, _ in readers if status == 0]
    core = open_core(Settings(db_path=db))
    stored = _stored(core, "crowd")
    core.close()
    lone = [asyncio.run(_spawn(db, declarations(codes, "alone")[0]))[1] for _ in range(5)]

    print(f"{WRITERS} parallel exec processes: {len(ok)} succeeded, {len(failed)} failed")
    print(f"  declarations stored: {stored} of {WRITERS}; all done in {makespan:.2f} s")
    waits = [
        max(float(ms) for ms in found) / 1000
        for status, _, out in results
        if status == 0 and (found := LOCK_WAIT.findall(out))
    ]
    if waits:
        print(f"  wait for the write lock (BEGIN IMMEDIATE): {summary_ms(waits)}")
    else:
        print("  wait for the write lock: not logged by this version")
    if ok:
        print(f"  wall time per process (start to exit): {summary_ms(ok)}")
    if failed:
        reasons: dict[str, int] = {}
        for out in failed:
            line = next((x for x in reversed(out.splitlines()) if x.strip()), "(no output)")
            reasons[line[:100]] = reasons.get(line[:100], 0) + 1
        for line, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:3]:
            print(f"  {count} x {line}")
    print(
        f"baseline, {WRITERS} parallel reader processes (/tally): {len(read_ok)} succeeded; "
        f"{summary_ms(read_ok)}"
    )
    print(f"baseline, one exec process alone: {summary_ms(lone)}")
    print(f"baseline, the same {WRITERS} declarations in one process: {summary_ms(baseline)}")
    print(f"  in {sum(baseline):.2f} s")
    if ok:
        ratio = statistics.median(ok) / statistics.median(read_ok)
        print(f"median ratio parallel writer / parallel reader process: {ratio:.2f}")


def _load_history(core: Core, slug: str, member: str, count: int) -> None:
    now = datetime.now(UTC)

    def bulk(tx):  # type: ignore[no-untyped-def]
        repo = tx.records
        tracker = repo.tracker_by_slug(slug)
        start = date(2020, 1, 1)
        repo.add_declarations(
            NewDeclaration(
                tracker_id=tracker.id,
                member=member,
                stance=Stance.SUPPORT if i % 2 else Stance.OPPOSE,
                made_on=start + timedelta(days=i % 1500),
                recorded_by="bench",
                recorded_at=now,
            )
            for i in range(count)
        )

    core.store.run_blocking(bulk)


def history_cost(tmp: Path, runs: int = 200) -> None:
    db = tmp / "history.db"
    core = open_core(Settings(db_path=db))
    _open_tracker(core, "short")
    _open_tracker(core, "long")
    _load_history(core, "short", "HU", 10)
    _load_history(core, "long", "HU", HISTORY)
    short = _sequential(core, ["/tally declare HU support tracker=short date=2024-06-01"] * runs)
    long = _sequential(core, ["/tally declare HU support tracker=long date=2024-06-01"] * runs)
    core.close()
    print(f"/tally declare, 10 earlier declarations of the member:     {summary_ms(short)}")
    print(f"/tally declare, {HISTORY:,} earlier declarations of the member: {summary_ms(long)}")
    print(
        f"median ratio {HISTORY:,} / 10: {statistics.median(long) / statistics.median(short):.2f}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        parallel_writers(Path(tmp))
        history_cost(Path(tmp))


if __name__ == "__main__":
    main()
