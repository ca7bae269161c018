"""Shared fixtures: a core on a fresh database with a controllable clock.

The database is a fresh SQLite file, or with TALLYBOT_TEST_ENGINE=postgres a URL on a fresh
schema of the server TALLYBOT_TEST_POSTGRES_URL names (tests/postgres.py): the whole suite runs
on either engine. Tests about the SQLite file itself are marked `sqlite_only` and skipped on
PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Core
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.replies import Reply
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.postgres import fresh_schema, require_server

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


ENGINE = os.environ.get("TALLYBOT_TEST_ENGINE", "sqlite")
"""Which engine `db_path` gives: 'sqlite' (a file) or 'postgres' (a URL on its own schema)."""
if ENGINE not in ("sqlite", "postgres"):
    raise RuntimeError(f"TALLYBOT_TEST_ENGINE={ENGINE}: use sqlite or postgres")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENGINE != "postgres":
        return
    skip = pytest.mark.skip(reason="sqlite_only: about the SQLite file (engine is postgres)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    """The test's database: a file path, or (TALLYBOT_TEST_ENGINE=postgres) a
    `postgresql://` URL on a fresh schema, dropped afterwards. Typed as a Path for the tests
    written before PostgreSQL; everything that opens it takes the text as it is."""
    if ENGINE == "postgres":
        with fresh_schema(require_server()) as url:
            yield url  # type: ignore[misc]
    else:
        yield tmp_path / "tally.db"


@pytest.fixture
async def core(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    instance = open_core(Settings(db_path=db_path), clock)
    yield instance
    instance.close()


@pytest.fixture
def run(core: Core) -> Callable[..., object]:
    """`await run("declare LT support rutte")` as the operator (or `actor=`)."""

    async def _run(text: str, actor: Actor = OPERATOR) -> Reply:
        return await core.dispatcher.run_text(text, actor)

    return _run


REPO = Path(__file__).resolve().parents[1]


async def open_demo_core(settings: Settings, clock: Clock, skip: Iterable[str] = ()) -> Core:
    """A core on `settings` with the demo tracker loaded through the ordinary commands."""
    core = open_core(settings, clock)
    left_out = set(skip)
    for text in DEMO_COMMANDS:
        if text in left_out:
            continue
        reply = await core.dispatcher.run_text(text, OPERATOR)
        assert reply.ok, reply.title
    return core


def isolated_env(db: Path | str, **settings: str) -> dict[str, str]:
    """The tester's environment without SLACK_*, DISCORD_*, TALLYBOT_* or PORT, plus `settings`
    and TALLYBOT_DB: a developer's shell or `.env` cannot point a spawned bot at real services
    (set-but-empty values stay empty: load_dotenv() never overrides a variable that is set)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "TALLYBOT_", "PORT"))
    }
    env.update(TALLYBOT_DB=str(db), PYTHONUNBUFFERED="1", **settings)
    return env


async def collect(stream: asyncio.StreamReader | None, into: bytearray) -> None:
    """Read a child's pipe as it comes (so it never fills) into `into`."""
    if stream is None:
        return
    while chunk := await stream.read(65536):
        into.extend(chunk)


async def spawn_tallybot(
    env: dict[str, str],
    *args: str,
    stdin: int | None = None,
    preexec_fn: Callable[[], object] | None = None,
) -> asyncio.subprocess.Process:
    """`python -m tallybot ARGS` as a real process from the repository root."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tallybot",
        *args,
        cwd=REPO,
        env=env,
        stdin=stdin,
        preexec_fn=preexec_fn,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
