"""What `/healthz` reports: the database (one read through the store contract, timed) and each
running platform's connection, so a load balancer or an orchestrator can tell a bot that
answers from one that only listens.

Only states, latencies and error class names: never a message (a driver's message can carry a
connection string with its password), never a setting.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol

from bot.storage import Store, Transaction

DATABASE_TIMEOUT = 2.0
"""A database slower than this to answer one small read counts as down."""


@dataclass(frozen=True)
class Check:
    """One part's state: `up`, and JSON-ready details (latency, shards, mode...)."""

    name: str
    up: bool
    details: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"status": "up" if self.up else "down", **self.details}


class HealthSource(Protocol):
    """A running platform service that can say whether its connection is up."""

    name: str

    async def health(self) -> Check: ...


@dataclass(frozen=True)
class HealthReport:
    checks: tuple[Check, ...]
    draining: bool = False
    """Stopping on a signal: finishing work in progress, taking none (a balancer should stop
    sending requests here)."""

    @property
    def ok(self) -> bool:
        return not self.draining and all(c.up for c in self.checks)

    def as_json(self) -> dict[str, object]:
        status = "draining" if self.draining else "ok" if self.ok else "down"
        return {"status": status, **{c.name: c.as_json() for c in self.checks}}


def error_class(exc: BaseException) -> str:
    """The failure's class name, never its message."""
    return type(exc).__name__


async def database_check(store: Store, timeout: float = DATABASE_TIMEOUT) -> Check:
    """One read unit of work that goes to the database on every engine (an indexed look-up
    of a community that cannot exist), timed."""

    def read(tx: Transaction) -> None:
        tx.records.community_by_slug("")

    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            await store.run(read, write=False)
    except Exception as exc:
        return Check("database", False, {"error": error_class(exc)})
    latency = time.perf_counter() - started
    return Check("database", True, {"latency_ms": round(latency * 1000, 2)})


async def health_report(
    store: Store, sources: list[HealthSource], draining: bool = False
) -> HealthReport:
    """The database and every source, checked at once."""
    checks = await asyncio.gather(database_check(store), *(_checked(s) for s in sources))
    return HealthReport(tuple(checks), draining)


async def _checked(source: HealthSource) -> Check:
    try:
        return await source.health()
    except Exception as exc:
        return Check(source.name, False, {"error": error_class(exc)})
