"""Slack HTTP mode under load: signed /tally requests from a second process, on 127.0.0.1.

Servers run in this process on one event loop: tallybot's Slack app (HTTP mode, the demo
tracker in a temporary SQLite file) and a bare Bolt app that acks and then posts a fixed reply
(a /tally answer rendered once at start, so the same bytes go out) to the response_url, over
one pooled aiohttp session like ours. A load generator in a child process sends signed slash
commands with a fixed number of workers; each worker waits for the ack and for the answer at
the response_url (served by the child, the same endpoint for both apps) before sending the
next. The bare app runs half its time before tallybot and half after, so a machine that gets
busier during the run does not flatter the ratio. Printed: answered requests/s, ack and
answer latency (median, p99), and the ratio tallybot/bare (goal >= 0.8x): like for like, what
finding and rendering the answer costs.

The old baseline, a bare app that only acks (not like for like: it posts nothing), is still
measured and printed unless --no-ack-only.

    .venv/bin/python -m bench.slack_bench [--seconds 8] [--workers 16] [--no-ack-only]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import render
from adapters.slack.client import interactive_client
from adapters.slack.http import bound_port, serve_http
from adapters.slack.service import start_slack
from bot.app import Core
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi, signed_headers, slash_command_body

SECRET = "bench-signing-secret"
READS = ("", "position HU", "holdouts", "history limit=10", "position LT")
WARMUP_SECONDS = 1.0
ANSWER_TIMEOUT = 15.0
GOAL_RATIO = 0.8


@dataclass
class Result:
    name: str
    seconds: float
    acks: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.acks) / self.seconds if self.seconds else 0.0

    def merged(self, other: Result) -> Result:
        """Both runs as one: their requests over their summed time."""
        return Result(
            self.name,
            self.seconds + other.seconds,
            self.acks + other.acks,
            self.answers + other.answers,
            self.errors + other.errors,
        )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- load generator (child process) ----------------------------------------------------------
async def _load(url: str, seconds: float, workers: int, want_answer: bool) -> Result:
    waiting: dict[str, asyncio.Future[float]] = {}

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        future = waiting.get(request.match_info["key"])
        if future is not None and not future.done():
            future.set_result(time.perf_counter())
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/hooks/{key}", hook)
    runner = web.AppRunner(receiver, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hooks = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks/"
    result = Result(url, seconds)
    loop = asyncio.get_running_loop()

    async def worker(n: int, session: aiohttp.ClientSession, until: float, keep: bool) -> None:
        i = 0
        while time.perf_counter() < until:
            i += 1
            key = uuid.uuid4().hex
            text = READS[(n + i) % len(READS)]
            body = slash_command_body(text, hooks + key, user_id=f"U{n:04d}", user_name=f"u{n}")
            waiting[key] = loop.create_future()
            start = time.perf_counter()
            try:
                async with session.post(
                    url, data=body.encode(), headers=signed_headers(SECRET, body)
                ) as response:
                    await response.read()
                    acked = time.perf_counter()
                    ok = response.status == 200
                answered = (
                    await asyncio.wait_for(waiting[key], ANSWER_TIMEOUT) if want_answer else acked
                )
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            finally:
                waiting.pop(key, None)
            if not keep:
                continue
            if not ok:
                result.errors += 1
                continue
            result.acks.append(acked - start)
            result.answers.append(answered - start)

    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(connector=connector) as session:
        warm_until = time.perf_counter() + WARMUP_SECONDS
        await asyncio.gather(*(worker(n, session, warm_until, False) for n in range(workers)))
        until = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(worker(n, session, until, True) for n in range(workers)))
        result.seconds = time.perf_counter() - started
    await runner.cleanup()
    return result


def _child(url: str, seconds: float, workers: int, want_answer: bool, out: Any) -> None:
    out.send(asyncio.run(_load(url, seconds, workers, want_answer)))


async def run_load(url: str, seconds: float, workers: int, want_answer: bool) -> Result:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(url, seconds, workers, want_answer, child))
    process.start()
    result: Result = await asyncio.to_thread(parent.recv)
    await asyncio.to_thread(process.join)
    return result


# -- servers (this process) ------------------------------------------------------------------
class BareResponder:
    """The baseline's answer path: a fixed reply to each response_url after the ack, over one
    aiohttp session, each post a task kept referenced (what tallybot's adapter does, minus the
    core)."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, url: str) -> None:
        task = asyncio.ensure_future(self._post(url))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _post(self, url: str) -> None:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        await AsyncWebhookClient(url=url, session=self.session).send_dict(self.reply)

    async def close(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        if self.session is not None:
            await self.session.close()


def bare_app(api_url: str, responder: BareResponder | None = None) -> AsyncApp:
    """A Bolt app whose /tally acks and, given a responder, posts its fixed reply."""
    app = AsyncApp(
        client=interactive_client(DEFAULT_TOKEN, api_url),
        signing_secret=SECRET,
        process_before_response=True,
        name="bare",
    )

    @app.command("/tally")
    async def fixed(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if responder is not None:
            responder.spawn(str(body.get("response_url") or ""))

    return app


def report(result: Result, label: str, answers: bool) -> None:
    ms = 1000.0
    line = (
        f"{label:<26} {len(result.acks):>6} req  {result.rate:>8.1f} req/s  "
        f"ack p50 {percentile(result.acks, 0.5) * ms:6.2f} ms  "
        f"p99 {percentile(result.acks, 0.99) * ms:6.2f} ms"
    )
    if answers:
        line += (
            f"  answer p50 {percentile(result.answers, 0.5) * ms:6.2f} ms"
            f"  p99 {percentile(result.answers, 0.99) * ms:6.2f} ms"
        )
    print(line + (f"  errors {result.errors}" if result.errors else ""), flush=True)


def ratios(mine: Result, base: Result, label: str) -> None:
    rate = mine.rate / base.rate if base.rate else float("nan")
    ack = statistics.median(mine.acks) / statistics.median(base.acks)
    line = f"ratio tallybot/{label}: throughput {rate:.2f}x, median ack latency {ack:.2f}x"
    if base.answers != base.acks:
        answer = statistics.median(mine.answers) / statistics.median(base.answers)
        line += f", median answer latency {answer:.2f}x"
    print(line, flush=True)


async def bench(seconds: float, workers: int, ack_only: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeSlackApi() as api:
            settings = Settings(
                db_path=Path(tmp) / "bench.db",
                slack_bot_token=DEFAULT_TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=api.api_url,
                port=0,
            )
            core = Core.open(settings)
            operator = Actor("console", "local", "bench", "bench", platform_moderator=True)
            for text in DEMO_COMMANDS:
                await core.dispatcher.run_text(text, operator)
            fixed = render(await core.dispatcher.run_text("/tally", operator)).payload()
            responder = BareResponder({"response_type": "ephemeral", **fixed})
            ours = await start_slack(core, host="127.0.0.1")
            bare_runner = await serve_http(bare_app(api.api_url, responder), "127.0.0.1", 0)
            ack_runner = await serve_http(bare_app(api.api_url), "127.0.0.1", 0)
            try:
                print(
                    f"{workers} workers; {seconds:g} s per app (bare: half before, half after "
                    f"tallybot), each after {WARMUP_SECONDS:g} s warm-up; reads: "
                    f"{', '.join(repr('/tally ' + r) for r in READS)}",
                    flush=True,
                )
                bare_url = f"http://127.0.0.1:{bound_port(bare_runner)}/slack/events"
                first = await run_load(bare_url, seconds / 2, workers, want_answer=True)
                report(first, "bare Bolt, fixed (first)", answers=True)
                ours_url = f"http://127.0.0.1:{ours.port}/slack/events"
                mine = await run_load(ours_url, seconds, workers, want_answer=True)
                report(mine, "tallybot /tally", answers=True)
                last = await run_load(bare_url, seconds / 2, workers, want_answer=True)
                report(last, "bare Bolt, fixed (last)", answers=True)
                bare = first.merged(last)
                drift = last.rate / first.rate if first.rate else float("nan")
                report(bare, "bare Bolt, fixed (both)", answers=True)
                print(f"  (bare first/last differ by {drift:.2f}x)", flush=True)
                ratios(mine, bare, "bare")
                rate = mine.rate / bare.rate if bare.rate else float("nan")
                verdict = "meets" if rate >= GOAL_RATIO else "misses"
                print(f"  ({verdict} the goal: throughput >= {GOAL_RATIO:g}x)", flush=True)
                if ack_only:
                    ack_url = f"http://127.0.0.1:{bound_port(ack_runner)}/slack/events"
                    acked = await run_load(ack_url, seconds, workers, want_answer=False)
                    report(acked, "old: bare Bolt (ack only)", answers=False)
                    ratios(mine, acked, "ack-only (old baseline, not like for like)")
            finally:
                await ours.stop()
                await bare_runner.cleanup()
                await ack_runner.cleanup()
                await responder.close()
                core.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.slack_bench")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--no-ack-only",
        dest="ack_only",
        action="store_false",
        help="skip the old ack-only baseline",
    )
    args = parser.parse_args(argv if argv is not None else [])
    asyncio.run(bench(args.seconds, args.workers, args.ack_only))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
