"""Alerts on the demo tracker (before Lithuania's and the others' 2 April declarations), with
the real Slack and Discord senders posting to the local HTTP fakes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from adapters.console.sender import ConsoleSender
from adapters.discord.sender import DiscordSender
from adapters.discord.sender import create_sender as create_discord_sender
from adapters.slack.sender import SlackSender
from adapters.slack.sender import create_sender as create_slack_sender
from bot.alerts.channels import AlertSender
from bot.alerts.delivery import DeliveryPolicy
from bot.alerts.scheduler import AlertScheduler
from bot.app import Core
from bot.commands.context import Actor
from bot.demo import DEMO_COMMANDS
from bot.limits import Limits
from bot.replies import Reply
from bot.settings import Settings
from tests.conftest import OPERATOR, Clock, open_demo_core
from tests.e2e.test_whole_bot import BotProcess
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import DEFAULT_TEAM, DEFAULT_TOKEN, FakeSlackApi
from tests.postgres import fresh_schema, require_server

SLACK_TEAM = DEFAULT_TEAM
GUILD = "900000000000000001"
LITHUANIA = next(c for c in DEMO_COMMANDS if c.startswith("declare LT "))
"""Left out of the demo for the tests to record: then 28 of 32 back Rutte."""


def slack_mod(channel: str) -> Actor:
    return Actor("slack", SLACK_TEAM, "UMOD", "Mod", platform_moderator=True, channel=channel)


def discord_mod(channel: str) -> Actor:
    return Actor("discord", GUILD, "42", "Mod", platform_moderator=True, channel=channel)


CONSOLE = Actor("console", "local", "operator", "Operator", True, channel="console")

FAST = DeliveryPolicy(send_timeout=1.5, backoff_base=0.02, backoff_max=0.2, run_attempts=4)
"""Short timeouts and backoffs so fault tests run quickly (the logic is the same)."""


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as server:
        yield server


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        # discord.py reads Route.BASE globally; restore it after the test.
        monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
        yield server


@pytest.fixture
def settings(db_path: Path, fake_slack: FakeSlackApi, fake_discord: FakeDiscord) -> Settings:
    return Settings(
        db_path=db_path,
        # One deployment, one community: these suites test the platforms, not tenancy.
        shared_community="local",
        slack_bot_token=DEFAULT_TOKEN,
        slack_api_url=fake_slack.api_url,
        discord_token=fake_discord.token,
        discord_api_url=fake_discord.api_url,
        # Set-ups subscribe dozens of channels as one moderator inside one frozen minute; the
        # write limit itself is tested in tests/core/test_limits.py.
        limits=Limits(writes_per_minute=100_000),
    )


ENGINES = ("sqlite", "postgres")


@contextlib.contextmanager
def on_engine(engine: str, settings: Settings) -> Iterator[Settings]:
    """`settings` on the SQLite file as they are, or on a fresh PostgreSQL schema (skipped,
    with the reason shown, where TALLYBOT_TEST_POSTGRES_URL is not set): for modules that
    override `settings` with `params=ENGINES` to run on both engines."""
    if engine == "sqlite":
        yield settings
        return
    with fresh_schema(require_server()) as url:
        yield dataclasses.replace(settings, db_path=url)


@pytest.fixture
async def senders(settings: Settings) -> AsyncIterator[dict[str, AlertSender]]:
    slack: SlackSender = create_slack_sender(settings)
    discord_sender: DiscordSender = await create_discord_sender(settings)
    yield {"slack": slack, "discord": discord_sender, "console": RecordingConsole()}
    await discord_sender.close()


@pytest.fixture
async def demo(settings: Settings, clock: Clock) -> AsyncIterator[Core]:
    """The demo tracker without Lithuania: 27 backers of Rutte, Hungary opposed, Romania for
    Iohannis, Slovakia and Turkiye undeclared."""
    core = await open_demo_core(settings, clock, skip=(LITHUANIA,))
    yield core
    core.close()


Run = Callable[[str, Actor], Awaitable[Reply]]


@pytest.fixture
def run_as(demo: Core) -> Run:
    async def run(text: str, actor: Actor = OPERATOR) -> Reply:
        reply = await demo.dispatcher.run_text(text, actor)
        assert reply.ok, reply.title
        return reply

    return run


@dataclass
class Delivery:
    scheduler: AlertScheduler

    async def drain(self) -> None:
        await self.scheduler.run_once()


@pytest.fixture
def delivery(demo: Core, senders: dict[str, AlertSender]) -> Delivery:
    return Delivery(AlertScheduler(demo.store, senders, demo.dispatcher.clock, FAST))


class RecordingConsole(ConsoleSender):
    """The console sender, printing into a list instead of the terminal."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        super().__init__(self.buffer)

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


def slack_titles(fake: FakeSlackApi, channel: str) -> list[str]:
    return [m.text for m in fake.messages_in(channel)]


def discord_titles(fake: FakeDiscord, channel: str) -> list[str]:
    """Embed titles with discord.py's markdown escapes taken out again."""
    return [
        m.payload["embeds"][0]["title"].replace("\\", "")
        for m in fake.messages
        if m.channel_id == channel
    ]


async def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until `predicate()` holds; the timeout only stops a broken test from hanging."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def platform_messages(
    fake_slack: FakeSlackApi, fake_discord: FakeDiscord
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(platform, channel) -> [(message id, title)] in the order each fake accepted them."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for m in fake_slack.messages:
        found.setdefault(("slack", m.channel), []).append((m.ts, m.text))
    for d in fake_discord.messages:
        title = d.payload["embeds"][0]["title"].replace("\\", "")
        found.setdefault(("discord", d.channel_id), []).append((d.id, title))
    return found


def assert_ledger(
    rows: list[dict[str, object]],
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
    may_repeat: set[tuple[str, str, int]] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Every row sent and accepted by its platform, none twice (except rows in `may_repeat`:
    (platform, channel, row id) the platform accepted before a crash and we had not marked),
    each channel in row order, and nothing on the platforms that the outbox did not send."""
    assert rows, "no alert rows"
    assert all(r["status"] == "sent" for r in rows), [r for r in rows if r["status"] != "sent"]
    accepted = platform_messages(fake_slack, fake_discord)
    by_channel: dict[tuple[str, str], list[dict[str, object]]] = {}
    for row in rows:
        if row["platform"] == "console":
            continue
        by_channel.setdefault((str(row["platform"]), str(row["channel"])), []).append(row)
    assert set(accepted) == set(by_channel)
    for key, channel_rows in by_channel.items():
        channel_rows.sort(key=lambda r: int(r["id"]))  # type: ignore[arg-type]
        ids = [mid for mid, _ in accepted[key]]
        positions = [ids.index(str(r["message_id"])) for r in channel_rows]
        assert positions == sorted(positions), f"out of order in {key}"
        extra = len(ids) - len(channel_rows)
        repeatable = [r for r in channel_rows if (*key, r["id"]) in may_repeat]
        assert extra <= len(repeatable), f"{key}: {extra} duplicate(s) outside the window"


@pytest.fixture
async def bots() -> AsyncIterator[list[BotProcess]]:
    """Real `tallybot run` processes a test starts; killed and their pipes closed after."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        if bot.process.returncode is None:
            bot.process.kill()
            await bot.process.wait()
        for reader in bot.readers:
            reader.cancel()
        await asyncio.gather(*bot.readers, return_exceptions=True)
