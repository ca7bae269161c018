"""Public pages under load: GET /t/{slug} from this process, servers in a child process.

The child serves three aiohttp apps on 127.0.0.1, one event loop: tallybot's pages with no
cache (every request reads the store and renders: "cold"), tallybot's pages with the cache
("warm": each request still asks the store whether the tracker changed, then serves the bytes
rendered before), and a bare aiohttp handler returning a fixed page (the very bytes of the
tracker page, fetched once at start): the baseline. The load generator keeps a fixed number
of keep-alive connections busy; the three take turns in slices so a machine that gets busier
weighs on all alike. Printed: requests/s, latency (median, p99) and the ratio to the bare
handler (goal >= 0.5x).

The tracker is the demo (32 members, 30 declarations) made public; --declarations N adds N
random declarations to it first.

    .venv/bin/python -m bench.web_bench [--seconds 6] [--turns 6] [--workers 8] [--declarations 0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage import Records

import argparse
import asyncio
import multiprocessing as mp
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.stats import percentile

SLUG = "nato-sg-2024"
GOAL_RATIO = 0.5


@dataclass
class Result:
    label: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def prepare(db: Path, extra: int) -> None:
    """The demo tracker, public, with `extra` random declarations on top."""
    from bench.trackers import OPERATOR
    from bot.demo import DEMO_COMMANDS
    from bot.settings import Settings
    from tallybot.wiring import open_core

    async def load() -> None:
        core = open_core(Settings(db_path=db))
        try:
            for text in (*DEMO_COMMANDS, f"tracker edit {SLUG} visibility=public"):
                reply = await core.dispatcher.run_text(text, OPERATOR)
                assert reply.ok, reply.title
            if extra:
                await core.store.run(lambda tx: _random(tx.records, extra))
        finally:
            core.close()

    asyncio.run(load())


def _random(repo: Records, count: int) -> None:
    import random
    from datetime import date, timedelta

    from bot.domain import NewDeclaration, Stance

    rng = random.Random(count)
    tracker = repo.tracker_by_slug(SLUG)
    assert tracker is not None
    codes = [m.code for m in repo.body("nato").members]
    ids = [c.id for c in tracker.candidates]
    now = datetime.now(UTC)
    repo.add_declarations(
        NewDeclaration(
            tracker_id=tracker.id,
            member=rng.choice(codes),
            stance=(stance := rng.choice(list(Stance))),
            made_on=date(2024, 2, 22) + timedelta(days=rng.randrange(0, 40)),
            recorded_by="bench",
            recorded_at=now,
            candidate_id=rng.choice(ids) if stance.names_candidate else None,
            quote="q" * rng.randrange(0, 200),
        )
        for _ in range(count)
    )


def serve(db: str, ports: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    asyncio.run(_serve(Path(db), ports, stop))


async def _serve(db: Path, ports: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    from adapters.web.app import Pages, pages_application
    from bot.settings import Settings
    from tallybot.wiring import open_core

    core = open_core(Settings(db_path=db))
    fixed = {"page": b""}

    async def bare(request: web.Request) -> web.Response:
        return web.Response(body=fixed["page"], content_type="text/html", charset="utf-8")

    bare_app = web.Application()
    bare_app.router.add_get(f"/t/{SLUG}", bare)
    apps = {
        "bare": bare_app,
        "cold": pages_application(Pages(core.store, cache_size=0)),
        "warm": pages_application(Pages(core.store)),
    }
    runners = []
    found = {}
    for label, app in apps.items():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        found[label] = runner.addresses[0][1]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{found['warm']}/t/{SLUG}") as response,
    ):
        assert response.status == 200
        fixed["page"] = await response.read()
    ports.put(found)
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for runner in runners:
        await runner.cleanup()
    core.close()


async def load(url: str, seconds: float, workers: int, result: Result) -> None:
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    result.errors += 1
                    continue
            result.latencies.append(time.perf_counter() - start)

    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(workers)))
        result.seconds += time.perf_counter() - started


async def measure(ports: dict[str, int], seconds: float, turns: int, workers: int) -> list[Result]:
    results = [Result(label) for label in ports]
    for result in results:  # warm-up: connections, caches, the JIT-less interpreter's paths
        await load(f"http://127.0.0.1:{ports[result.label]}/t/{SLUG}", 0.5, workers, Result("_"))
    for _ in range(turns):
        for result in results:
            url = f"http://127.0.0.1:{ports[result.label]}/t/{SLUG}"
            await load(url, seconds / turns, workers, result)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per app, over all turns")
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--declarations", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "web-bench.db"
        prepare(db, args.declarations)
        context = mp.get_context("spawn")
        ports: mp.Queue = context.Queue()  # type: ignore[type-arg]
        stop = context.Event()
        child = context.Process(target=serve, args=(str(db), ports, stop))
        child.start()
        try:
            found = ports.get(timeout=60)
            results = asyncio.run(measure(found, args.seconds, args.turns, args.workers))
        finally:
            stop.set()
            child.join(30)
    bare = results[0]
    declarations = 30 + args.declarations
    print(
        f"GET /t/{SLUG} (32 members, {declarations} declarations), {args.workers} keep-alive "
        f"connections, {args.seconds:g} s per app in {args.turns} turns"
    )
    for result in results:
        ratio = result.rate / bare.rate if bare.rate else float("nan")
        print(
            f"  {result.label:5} {result.rate:8.0f} req/s  "
            f"median {statistics.median(result.latencies) * 1000:6.2f} ms  "
            f"p99 {percentile(result.latencies, 99) * 1000:6.2f} ms  "
            f"ratio {ratio:4.2f}x  errors {result.errors}"
        )
    warm = results[2]
    verdict = "meets" if warm.rate >= GOAL_RATIO * bare.rate else "misses"
    print(f"  warm cache {verdict} the goal of >= {GOAL_RATIO}x the bare handler")


if __name__ == "__main__":
    main()
