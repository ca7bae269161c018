"""Slack HTTP mode under load: signed /tally requests from a second process, on 127.0.0.1.

Servers run in this process on one event loop: tallybot's Slack app (HTTP mode, the demo
tracker in a temporary SQLite file) and a bare Bolt app that acks and then posts a fixed reply
(a /tally answer rendered once at start, so the same bytes go out) to the response_url, over
one pooled aiohttp session like ours. A load generator in a child process sends signed slash
commands with a fixed number of workers; each worker waits for the ack and for the answer at
the response_url (served by the child, the same endpoint for both apps) before sending the
next. The apps take turns (8 slices of 1 s each by default), so a machine that gets busier or
quieter during the run weighs on all of them alike. Printed: answered requests/s, ack and
answer latency (median, p99), and the ratio tallybot/bare (goal >= 0.8x): like for like, what
finding and rendering the answer costs.

The old baseline, a bare app that only acks (not like for like: it posts nothing), is still
measured and printed unless --no-ack-only.

    .venv/bin/python -m bench.slack_bench [--seconds 8] [--turns 8] [--workers 16] [--no-ack-only]
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
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi, signed_headers, slash_command_body

SECRET = "bench-signing-secret"
READS = ("", "position HU", "holdouts", "history limit=10", "position LT")
WARMUP_SECONDS = 1.0
ANSWER_TIMEOUT = 15.0
GOAL_RATIO = 0.8


@dataclass(frozen=True)
class Target:
    """One app under load: its /slack/events URL, and whether to wait for its answer."""

    label: str
    url: str
    want_answer: bool


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


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- load generator (child process) ----------------------------------------------------------
async def _load(targets: list[Target], seconds: float, turns: int, workers: int) -> list[Result]:
    """Each target warmed up, then `seconds` of load on each in `turns` slices taking turns."""
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
    loop = asyncio.get_running_loop()

    async def worker(
        n: int,
        session: aiohttp.ClientSession,
        target: Target,
        until: float,
        result: Result | None,
    ) -> None:
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
                    target.url, data=body.encode(), headers=signed_headers(SECRET, body)
                ) as response:
                    await response.read()
                    acked = time.perf_counter()
                    ok = response.status == 200
                answered = (
                    await asyncio.wait_for(waiting[key], ANSWER_TIMEOUT)
                    if target.want_answer
                    else acked
                )
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            finally:
                waiting.pop(key, None)
            if result is None:
                continue
            if not ok:
                result.errors += 1
                continue
            result.acks.append(acked - start)
            result.answers.append(answered - start)

    async def phase(target: Target, length: float, result: Result | None) -> float:
        started = time.perf_counter()
        until = started + length
        await asyncio.gather(*(worker(n, session, target, until, result) for n in range(workers)))
        return time.perf_counter() - started

    results = [Result(t.label, 0.0) for t in targets]
    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(connector=connector) as session:
        for target in targets:
            await phase(target, WARMUP_SECONDS, None)
        for _ in range(turns):
            for target, result in zip(targets, results, strict=True):
                result.seconds += await phase(target, seconds / turns, result)
    await runner.cleanup()
    return results


def _child(targets: list[Target], seconds: float, turns: int, workers: int, out: Any) -> None:
    out.send(asyncio.run(_load(targets, seconds, turns, workers)))


async def run_load(targets: list[Target], seconds: float, turns: int, workers: int) -> list[Result]:
    """The load generator in a child process (its own interpreter, its own core)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(targets, seconds, turns, workers, child))
    process.start()
    results: list[Result] = await asyncio.to_thread(parent.recv)
    await asyncio.to_thread(process.join)
    return results


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


def events_url(port: int | None) -> str:
    return f"http://127.0.0.1:{port}/slack/events"


async def bench(seconds: float, turns: int, workers: int, ack_only: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeSlackApi() as api:
            settings = Settings(
                db_path=Path(tmp) / "bench.db",
                slack_bot_token=DEFAULT_TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=api.api_url,
                port=0,
                shared_community="local",  # one deployment, one community: the demo is read
            )
            core = open_core(settings)
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
                    f"{workers} workers; {seconds:g} s per app in {turns} turns, "
                    f"after {WARMUP_SECONDS:g} s warm-up each; reads: "
                    f"{', '.join(repr('/tally ' + r) for r in READS)}",
                    flush=True,
                )
                targets = [
                    Target("bare Bolt (fixed reply)", events_url(bound_port(bare_runner)), True),
                    Target("tallybot /tally", events_url(ours.port), True),
                ]
                if ack_only:
                    old = "old: bare Bolt (ack only)"
                    targets.append(Target(old, events_url(bound_port(ack_runner)), False))
                results = await run_load(targets, seconds, turns, workers)
                for target, result in zip(targets, results, strict=True):
                    report(result, target.label, answers=target.want_answer)
                bare, mine = results[0], results[1]
                ratios(mine, bare, "bare")
                rate = mine.rate / bare.rate if bare.rate else float("nan")
                verdict = "meets" if rate >= GOAL_RATIO else "misses"
                print(f"  ({verdict} the goal: throughput >= {GOAL_RATIO:g}x)", flush=True)
                if ack_only:
                    ratios(mine, results[2], "ack-only (old baseline, not like for like)")
            finally:
                await ours.stop()
                await bare_runner.cleanup()
                await ack_runner.cleanup()
                await responder.close()
                core.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.slack_bench")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--turns", type=int, default=8, help="slices each app's time is cut in")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--no-ack-only",
        dest="ack_only",
        action="store_false",
        help="skip the old ack-only baseline",
    )
    args = parser.parse_args(argv if argv is not None else [])
    asyncio.run(bench(args.seconds, args.turns, args.workers, args.ack_only))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
