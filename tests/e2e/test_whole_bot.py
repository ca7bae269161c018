"""The whole bot as a user runs it: `python -m tallybot run` in its own process, Slack in
HTTP mode and Discord over a gateway, both pointed at the local fakes through settings alone.

One story through the real process: subscribe a channel on each platform, record a declaration
from Slack, see the alert reach both channels once and without pings, read the new tally from
Discord; forged and unauthorised requests change nothing; SIGTERM stops it cleanly with no
secret and no traceback in its output.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import collect, isolated_env, spawn_tallybot
from tests.database import read
from tests.discord.payloads import (
    ADMIN_ID,
    CHANNEL_ID,
    EVERYDAY,
    GUILD_ID,
    MANAGE_GUILD,
    READER_ID,
    interaction,
    option,
)
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord
from tests.fakes.slack_api import (
    DEFAULT_TEAM,
    DEFAULT_TOKEN,
    FakeSlackApi,
    PostedMessage,
    ResponsePost,
    signed_headers,
    slash_command_body,
)

WAIT_SECONDS = 20.0
"""Upper bound of every wait: only stops a broken run from hanging, never a speed assertion."""
STOP_SECONDS = 10.0
SIGNING_SECRET = "e2e-signing-secret-3f9a"
DISCORD_TOKEN = "e2e-discord-token-7c1d"

SLACK_ADMIN = ("U0ADMIN", "ada")
"""A workspace admin (users.info is_admin): may subscribe channels."""
SLACK_MOD = ("U0MOD", "max")
"""Listed in TALLYBOT_SLACK_MODERATORS: may record declarations."""
SLACK_ALERTS = "C0NATO"
"""The Slack channel subscribed to alerts."""
SLACK_DESK = "C0DESK"
"""Where declarations are typed (its in-channel answer is not an alert)."""

DECLARE_TR = (
    'declare TR support rutte date=2024-04-30 quote="<!channel> hello @everyone" '
    "source=https://example.org/x"
)


@dataclass
class BotProcess:
    """`python -m tallybot run`, its output collected as it comes (pipes never fill)."""

    process: asyncio.subprocess.Process
    port: int
    db: Path
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    def output(self) -> str:
        return (self.stdout + self.stderr).decode(errors="replace")

    def exited_early(self) -> str | None:
        if self.process.returncode is None:
            return None
        return f"the bot exited with {self.process.returncode}:\n{self.output()}"

    async def stop(self, sig: signal.Signals) -> int:
        """Send `sig` and wait (bounded) for the exit status and the rest of the output."""
        self.process.send_signal(sig)
        try:
            async with asyncio.timeout(STOP_SECONDS):
                status = await self.process.wait()
                await asyncio.gather(*self.readers)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not stop within {STOP_SECONDS:g}s of {sig.name}:\n{self.output()}"
            ) from None
        return status


@dataclass
class World:
    bot: BotProcess
    slack: FakeSlackApi
    discord: FakeDiscord

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.bot.port}/slack/events"


# -- waiting -----------------------------------------------------------------------------------


async def until(check: Callable[[], object], what: str, bot: BotProcess | None = None) -> None:
    """Poll `check` until true; fail naming `what` (and the bot's output) after WAIT_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not check():
        if bot is not None and (early := bot.exited_early()):
            raise AssertionError(f"waiting for {what}: {early}")
        if loop.time() > deadline:
            tail = f"\nbot output:\n{bot.output()}" if bot is not None else ""
            raise AssertionError(f"no {what} within {WAIT_SECONDS:g}s{tail}")
        await asyncio.sleep(0.05)


async def healthy(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def until_healthy(bot: BotProcess) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not await healthy(bot.port):
        if early := bot.exited_early():
            raise AssertionError(f"waiting for /healthz: {early}")
        if loop.time() > deadline:
            raise AssertionError(
                f"/healthz on port {bot.port} did not answer within {WAIT_SECONDS:g}s:\n"
                + bot.output()
            )
        await asyncio.sleep(0.1)


# -- the process -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(db: Path, port: int, slack: FakeSlackApi, discord: FakeDiscord) -> dict[str, str]:
    """Only what a user would set; everything else from the tester's environment is dropped so
    a developer's `.env` or shell cannot point the bot at real services. Set-but-empty values
    stay empty: load_dotenv() never overrides a variable that is already set."""
    return isolated_env(
        db,
        TALLYBOT_LOG_LEVEL="INFO",
        # One deployment, one community: the Slack team and the Discord server share it.
        TALLYBOT_SHARED_COMMUNITY="local",
        TALLYBOT_SLACK_MODERATORS=SLACK_MOD[0],
        TALLYBOT_DISCORD_MOD_ROLE="",
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_APP_TOKEN="",
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
        DISCORD_TOKEN=DISCORD_TOKEN,
        DISCORD_API_URL=discord.api_url,
        DISCORD_APPLICATION_ID="",
    )


async def load_demo(env: dict[str, str]) -> None:
    demo = await spawn_tallybot(env, "demo")
    async with asyncio.timeout(WAIT_SECONDS):
        out, err = await demo.communicate()
    assert demo.returncode == 0, f"tallybot demo failed:\n{out.decode()}{err.decode()}"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Both fakes in this process, the demo loaded, the bot running and connected to both."""
    async with FakeSlackApi() as slack, FakeDiscord(token=DISCORD_TOKEN) as discord:
        slack.add_user(*SLACK_ADMIN, display_name="Ada Admin", is_admin=True)
        slack.add_user(*SLACK_MOD)
        discord.guilds[GUILD_ID] = {"name": "NATO watchers", "roles": []}
        db = tmp_path / "tally.db"
        port = free_port()
        env = bot_env(db, port, slack, discord)
        await load_demo(env)
        process = await spawn_tallybot(env, "run")
        bot = BotProcess(process, port, db)
        bot.readers = [
            asyncio.create_task(collect(process.stdout, bot.stdout)),
            asyncio.create_task(collect(process.stderr, bot.stderr)),
        ]
        try:
            await until_healthy(bot)
            await until(lambda: discord.identified, "IDENTIFY on the fake Discord gateway", bot)
            assert discord.identified[0]["token"] == DISCORD_TOKEN
            yield World(bot, slack, discord)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            for reader in bot.readers:
                reader.cancel()
            await asyncio.gather(*bot.readers, return_exceptions=True)


# -- Slack -------------------------------------------------------------------------------------


async def slack_command(
    world: World,
    text: str,
    user: tuple[str, str],
    channel: str,
    secret: str = SIGNING_SECRET,
) -> tuple[int, str]:
    """POST `/tally TEXT` to the bot as Slack would (signed with `secret`): (status, hook key)."""
    key = uuid.uuid4().hex
    body = slash_command_body(
        text,
        world.slack.response_url(key),
        team_id=DEFAULT_TEAM,
        user_id=user[0],
        user_name=user[1],
        channel_id=channel,
    )
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT_SECONDS)) as session,
        session.post(
            world.events_url, data=body.encode(), headers=signed_headers(secret, body)
        ) as response,
    ):
        return response.status, key


async def slack_answer(world: World, text: str, user: tuple[str, str], channel: str) -> dict:
    """Run a signed command; return the one response_url post it got."""
    status, key = await slack_command(world, text, user, channel)
    assert status == 200, f"Slack ack for {text!r} was HTTP {status}"

    def posts() -> list[ResponsePost]:
        return [p for p in world.slack.responses if p.key == key]

    await until(posts, f"response_url answer to /tally {text}", world.bot)
    [post] = posts()
    return post.payload


def slack_alerts(world: World) -> list[PostedMessage]:
    return world.slack.messages_in(SLACK_ALERTS)


# -- Discord -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscordAnswer:
    ephemeral: bool
    body: dict[str, Any]
    """The message the user sees: the callback's data, or the deferred edit/follow-up."""

    @property
    def text(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


async def discord_command(world: World, payload: dict[str, Any]) -> DiscordAnswer:
    """Deliver INTERACTION_CREATE over the gateway; wait for the bot's answer over REST."""
    fake = world.discord
    await fake.dispatch("INTERACTION_CREATE", payload)

    def callback() -> dict[str, Any] | None:
        found = [c for c in fake.callbacks if c["interaction_id"] == payload["id"]]
        return found[0]["body"] if found else None

    name = payload["data"]["name"]
    await until(callback, f"interaction callback for /{name}", world.bot)
    body = callback()
    assert body is not None
    if body["type"] == 4:
        data = body["data"]
        return DiscordAnswer(bool(data.get("flags", 0) & EPHEMERAL), data)
    # Deferred (a slow machine): the answer is the edit of the original or a follow-up.
    assert body["type"] == 5, body

    def followed() -> list[dict[str, Any]]:
        return [
            w
            for w in fake.webhook_calls
            if w["token"] == payload["token"] and (w["body"] or {}).get("embeds")
        ]

    await until(followed, f"deferred answer to /{name}", world.bot)
    last = followed()[-1]
    ephemeral = last["method"] == "PATCH" and bool(body["data"].get("flags", 0) & EPHEMERAL)
    return DiscordAnswer(ephemeral, last["body"])


def discord_alerts(world: World) -> list[dict[str, Any]]:
    return [m.payload for m in world.discord.messages if m.channel_id == CHANNEL_ID]


# -- the database, read beside the running bot (WAL) ---------------------------------------------


def declaration_count(db: Path) -> int:
    return int(read(db, "SELECT count(*) FROM declarations")[0][0])


# -- the story ---------------------------------------------------------------------------------


async def test_the_running_bot_serves_slack_and_discord_and_alerts_both(world: World) -> None:
    # 1. A channel on each platform subscribes, each by someone allowed to.
    answer = await slack_answer(world, "subscribe mode=every", SLACK_ADMIN, SLACK_ALERTS)
    assert answer["response_type"] == "in_channel", answer
    assert "every change" in answer["text"] and "nato-sg-2024" in answer["text"], answer
    subscribed = await discord_command(
        world, interaction(("subscribe",), user_id=ADMIN_ID, permissions=EVERYDAY | MANAGE_GUILD)
    )
    assert not subscribed.ephemeral, subscribed.body  # a recorded change, shown in the channel
    assert "every change" in subscribed.text and "nato-sg-2024" in subscribed.text

    # 2. A moderator listed in TALLYBOT_SLACK_MODERATORS records Türkiye's support.
    recorded = await slack_answer(world, DECLARE_TR, SLACK_MOD, SLACK_DESK)
    assert recorded["response_type"] == "in_channel", recorded

    await until(lambda: slack_alerts(world), "Slack alert via chat.postMessage", world.bot)
    await until(lambda: discord_alerts(world), "Discord alert via POST /messages", world.bot)

    [slack_alert] = slack_alerts(world)
    slack_text = json.dumps(slack_alert.payload, ensure_ascii=False)
    assert "Türkiye" in slack_text or "Turkey" in slack_text, slack_text
    assert "Mark Rutte" in slack_text and "29 of 32" in slack_text, slack_text
    assert "<!channel>" not in slack_text and "<!everyone>" not in slack_text, slack_text
    assert "hello" in slack_text  # the quote is shown, made inert

    [discord_alert] = discord_alerts(world)
    discord_text = json.dumps(discord_alert, ensure_ascii=False)
    assert "Türkiye" in discord_text or "Turkey" in discord_text, discord_text
    assert "Mark Rutte" in discord_text and "29 of 32" in discord_text, discord_text
    assert discord_alert["allowed_mentions"]["parse"] == [], discord_alert
    assert "@everyone" not in discord_text, discord_text

    # 3. Discord reads the new tally.
    tally = await discord_command(
        world, interaction(("tally",), user_id=READER_ID, permissions=EVERYDAY)
    )
    assert tally.ephemeral
    assert "29 of 32" in tally.text and "Mark Rutte" in tally.text, tally.body

    # 4. SIGTERM: a clean exit, no secret and no traceback in anything it wrote.
    status = await world.bot.stop(signal.SIGTERM)
    output = world.bot.output()
    assert status == 0, f"exit status {status} after SIGTERM:\n{output}"
    assert "Traceback" not in output, output
    for secret in (DEFAULT_TOKEN, DISCORD_TOKEN, SIGNING_SECRET):
        assert secret not in output, "a secret was written to the bot's output"

    # Each alert went out exactly once (checked after the process is gone: nothing later).
    assert len(slack_alerts(world)) == 1
    assert len(discord_alerts(world)) == 1


async def test_forged_and_unauthorised_requests_change_nothing(world: World) -> None:
    before = declaration_count(world.bot.db)

    status, key = await slack_command(
        world, "declare SK support rutte", SLACK_MOD, SLACK_DESK, secret="not-the-secret"
    )
    assert status == 401

    refused = await discord_command(
        world,
        interaction(
            ("declare",),
            [option("member", "SK"), option("stance", "support"), option("target", "rutte")],
            user_id=READER_ID,
            permissions=EVERYDAY,
        ),
    )
    assert refused.ephemeral, refused.body
    assert "moderator" in refused.text.lower(), refused.body

    # Bolt answered 401 before any listener ran, and the refusal above came back after it:
    # nothing was recorded, answered or posted for either.
    assert declaration_count(world.bot.db) == before
    assert not [p for p in world.slack.responses if p.key == key]
    assert world.slack.messages == [] and world.discord.messages == []

    status = await world.bot.stop(signal.SIGINT)
    output = world.bot.output()
    assert status == 0, f"exit status {status} after SIGINT:\n{output}"
    assert "Traceback" not in output, output
    assert not [p for p in world.slack.responses if p.key == key]
