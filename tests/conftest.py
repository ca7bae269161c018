"""Shared fixtures: a core on a fresh SQLite file with a controllable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Core
from bot.commands.context import Actor
from bot.replies import Reply
from bot.settings import Settings

OPERATOR = Actor("console", "local", "operator", "Operator", platform_moderator=True)
READER = Actor("console", "local", "reader", "Reader", platform_moderator=False)


class Clock:
    """A settable 'now' (timezone-aware UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tally.db"


@pytest.fixture
async def core(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    instance = Core.open(Settings(db_path=db_path), clock)
    yield instance
    instance.close()


@pytest.fixture
def run(core: Core) -> Callable[..., object]:
    """`await run("declare LT support rutte")` as the operator (or `actor=`)."""

    async def _run(text: str, actor: Actor = OPERATOR) -> Reply:
        return await core.dispatcher.run_text(text, actor)

    return _run
