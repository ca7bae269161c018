"""`tallybot run` against platforms that refuse it or are not there yet, as a real process.

A rejected token ends the run with one line naming the setting and exit 1 (so does a
TALLYBOT_SECRET_KEY that cannot open a distributed app's stored tokens); a Discord that is
down at start is retried with a backoff, one warning line per attempt, and connected to once it
answers on the same address, without a restart.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.installations import WorkspaceInstall
from bot.settings import Settings
from bot.storage import Transaction
from bot.token_cipher import TokenCipher
from tallybot.wiring import open_core
from tests.conftest import spawn_tallybot
from tests.core.test_startup import clean_env
from tests.discord.payloads import GUILD_ID, interaction
from tests.e2e.test_whole_bot import BotProcess, collect, free_port, until
from tests.fakes.discord_api import API_PREFIX, FakeDiscord
from tests.fakes.slack_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    DEFAULT_APP_TOKEN,
    DEFAULT_TOKEN,
    FakeSlackApi,
)

DISCORD_TOKEN = "startup-discord-token-51f0"
WAIT_SECONDS = 30.0
"""Only stops a broken run from hanging; never a speed assertion."""


async def start_bot(env: dict[str, str], db: Path) -> BotProcess:
    process = await spawn_tallybot(env, "run")
    bot = BotProcess(process, 0, db)
    bot.readers = [
        asyncio.create_task(collect(process.stdout, bot.stdout)),
        asyncio.create_task(collect(process.stderr, bot.stderr)),
    ]
    return bot


async def exit_of(bot: BotProcess) -> int:
    """The exit status of a bot expected to stop on its own."""
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            status = await bot.process.wait()
            await asyncio.gather(*bot.readers)
    except TimeoutError:
        bot.process.kill()
        raise AssertionError(f"the bot kept running:\n{bot.output()}") from None
    return status


def the_error_line(bot: BotProcess) -> str:
    """The one `error:` line the run ended with; no traceback anywhere."""
    output = bot.output()
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    return errors[0]


@pytest.fixture
async def bots() -> AsyncIterator[list[BotProcess]]:
    """Bots started by a test; killed at the end if still running."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        if bot.process.returncode is None:
            bot.process.kill()
            await bot.process.wait()
        for reader in bot.readers:
            reader.cancel()
        await asyncio.gather(*bot.readers, return_exceptions=True)


def discord_env(db: Path, api_url: str) -> dict[str, str]:
    return clean_env(
        TALLYBOT_DB=str(db),
        TALLYBOT_LOG_LEVEL="INFO",
        DISCORD_TOKEN=DISCORD_TOKEN,
        DISCORD_API_URL=api_url,
        PYTHONUNBUFFERED="1",
    )


async def test_a_token_discord_rejects_ends_the_run_in_one_line(
    tmp_path: Path, bots: list[BotProcess]
) -> None:
    async with FakeDiscord(token="the-real-token") as fake:
        bot = await start_bot(discord_env(tmp_path / "t.db", fake.api_url), tmp_path / "t.db")
        bots.append(bot)
        status = await exit_of(bot)
    assert fake.requests_to("/users/@me", "GET")[0].status == 401
    assert status == 1
    assert the_error_line(bot) == "error: DISCORD_TOKEN was rejected by Discord (401 Unauthorized)"
    assert DISCORD_TOKEN not in bot.output()


async def test_a_token_discord_s_gateway_rejects_ends_the_run_in_one_line(
    tmp_path: Path, bots: list[BotProcess]
) -> None:
    async with FakeDiscord(token=DISCORD_TOKEN) as fake:
        fake.gateway_token = "revoked-since"  # REST still answers, IDENTIFY is closed with 4004
        bot = await start_bot(discord_env(tmp_path / "t.db", fake.api_url), tmp_path / "t.db")
        bots.append(bot)
        status = await exit_of(bot)
    assert fake.identified  # it got as far as the gateway login
    assert status == 1
    assert the_error_line(bot) == (
        "error: DISCORD_TOKEN was rejected by Discord's gateway (4004 Authentication failed)"
    )
    assert DISCORD_TOKEN not in bot.output()


async def test_a_bot_started_while_discord_is_down_connects_when_it_is_back(
    tmp_path: Path, bots: list[BotProcess]
) -> None:
    db = tmp_path / "t.db"
    env = discord_env(db, "")
    env["TALLYBOT_SHARED_COMMUNITY"] = "local"  # the server reads the operator's demo tracker
    demo = await spawn_tallybot(env, "demo")
    async with asyncio.timeout(WAIT_SECONDS):
        await demo.communicate()
    assert demo.returncode == 0

    port = free_port()
    env["DISCORD_API_URL"] = f"http://127.0.0.1:{port}{API_PREFIX}"
    bot = await start_bot(env, db)
    bots.append(bot)
    # Nothing listens yet: the login fails and is retried (not "Session is closed").
    await until(lambda: "retrying in" in bot.output(), "a failed login being retried", bot)

    async with FakeDiscord(token=DISCORD_TOKEN, port=port) as fake:
        fake.guilds[GUILD_ID] = {"name": "NATO watchers", "roles": []}
        await until(lambda: fake.identified, "IDENTIFY once Discord is back", bot)
        await until(lambda: "discord: connected as" in bot.output(), "READY handled", bot)
        read = interaction(("tally",), [])
        await fake.dispatch("INTERACTION_CREATE", read)
        await until(lambda: fake.callbacks, "an answer to /tally", bot)
        assert fake.callbacks[0]["interaction_id"] == read["id"]
        assert "NATO Secretary General 2024" in str(fake.callbacks[0]["body"])
        status = await bot.stop(signal.SIGTERM)

    assert status == 0
    output = bot.output()
    assert "Session is closed" not in output
    assert "Traceback" not in output
    retries = [line for line in output.splitlines() if "retrying in" in line]
    assert retries and all("Cannot connect to host" in line for line in retries)
    assert DISCORD_TOKEN not in output


def slack_env(db: Path, slack: FakeSlackApi, **tokens: str) -> dict[str, str]:
    return clean_env(
        TALLYBOT_DB=str(db),
        SLACK_API_URL=slack.api_url,
        PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
        **tokens,
    )


@pytest.mark.parametrize(
    ("tokens", "line"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": "s3cr3t"},
            "error: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)",
        ),
        (
            {"SLACK_BOT_TOKEN": DEFAULT_TOKEN, "SLACK_APP_TOKEN": "xapp-revoked"},
            "error: SLACK_APP_TOKEN was rejected by Slack (invalid_auth)",
        ),
    ],
)
async def test_a_token_slack_rejects_ends_the_run_in_one_line(
    tokens: dict[str, str], line: str, tmp_path: Path, bots: list[BotProcess]
) -> None:
    async with FakeSlackApi(token=DEFAULT_TOKEN, app_token=DEFAULT_APP_TOKEN) as slack:
        bot = await start_bot(slack_env(tmp_path / "t.db", slack, **tokens), tmp_path / "t.db")
        bots.append(bot)
        status = await exit_of(bot)
    assert status == 1
    assert the_error_line(bot) == line
    assert "revoked" not in bot.output()  # the token is named, never shown


async def test_slack_unreachable_at_start_ends_the_run_in_one_line(
    tmp_path: Path, bots: list[BotProcess]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"
    env = clean_env(
        TALLYBOT_DB=str(tmp_path / "t.db"),
        SLACK_API_URL=url,
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_SIGNING_SECRET="s3cr3t",
        PORT=str(free_port()),
    )
    bot = await start_bot(env, tmp_path / "t.db")
    bots.append(bot)
    assert await exit_of(bot) == 1
    line = the_error_line(bot)
    assert line.startswith(f"error: Slack could not be reached at {url} (")
    assert "Cannot connect to host" in line


async def test_discord_sync_with_a_rejected_token_says_so_in_one_line(tmp_path: Path) -> None:
    async with FakeDiscord(token="the-real-token") as fake:
        sync = await spawn_tallybot(discord_env(tmp_path / "t.db", fake.api_url), "discord", "sync")
        async with asyncio.timeout(WAIT_SECONDS):
            out, err = await sync.communicate()
    assert sync.returncode == 1
    assert err.decode().strip().splitlines()[-1] == (
        "error: DISCORD_TOKEN was rejected by Discord (401 Unauthorized)"
    )
    assert "Traceback" not in (out + err).decode()
    assert not fake.requests_to("/applications/")  # nothing synced


async def test_discord_invite_with_discord_unreachable_says_so_in_one_line(tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{free_port()}{API_PREFIX}"
    invite = await spawn_tallybot(discord_env(tmp_path / "t.db", api_url), "discord", "invite")
    async with asyncio.timeout(WAIT_SECONDS):
        out, err = await invite.communicate()
    assert invite.returncode == 1
    line = err.decode().strip().splitlines()[-1]
    assert line.startswith(f"error: Discord could not be reached at {api_url} (")
    assert "Traceback" not in (out + err).decode()


async def test_a_port_already_in_use_ends_the_run_in_one_line(
    tmp_path: Path, bots: list[BotProcess]
) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeSlackApi() as slack:
            env = slack_env(
                tmp_path / "t.db", slack, SLACK_BOT_TOKEN=DEFAULT_TOKEN, SLACK_SIGNING_SECRET="s"
            )
            env["PORT"] = str(port)
            bot = await start_bot(env, tmp_path / "t.db")
            bots.append(bot)
            status = await exit_of(bot)
    assert status == 1
    assert the_error_line(bot).startswith(f"error: PORT={port} can't be served on 0.0.0.0 (")


# -- a distributed Slack app: the key that seals the stored tokens ---------------------------
KEY = Fernet.generate_key().decode()


def installed(db: Path, key: str) -> None:
    """A database holding one workspace's token, sealed with `key`."""
    install = WorkspaceInstall(
        enterprise_id=None,
        team_id="T0AAA",
        is_enterprise_install=False,
        bot_token=TokenCipher(key).seal("xoxb-alpha"),
        bot_id="BAAA",
        bot_user_id="UBOTAAA",
        bot_scopes="commands,chat:write",
        installer_user_id="U0INSTALL",
        app_id="A0TEST",
        team_name="Alpha Desk",
        enterprise_name=None,
        installed_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    core = open_core(Settings(db_path=db))
    try:

        def save(tx: Transaction) -> None:
            tx.installations.save_installation(install)

        core.store.run_blocking(save)
    finally:
        core.close()


def distributed_env(db: Path, key: str) -> dict[str, str]:
    return clean_env(
        TALLYBOT_DB=str(db),
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET="secret",
        TALLYBOT_SECRET_KEY=key,
        PORT="0",
    )


async def test_a_key_that_does_not_open_the_tokens_stops_the_run(
    tmp_path: Path, bots: list[BotProcess]
) -> None:
    db = tmp_path / "tally.db"
    installed(db, KEY)
    bots.append(await start_bot(distributed_env(db, Fernet.generate_key().decode()), db))
    assert await exit_of(bots[-1]) == 1
    assert "TALLYBOT_SECRET_KEY does not open the Slack tokens" in the_error_line(bots[-1])
    bots.append(await start_bot(distributed_env(db, ""), db))
    assert await exit_of(bots[-1]) == 1
    assert "encrypted but TALLYBOT_SECRET_KEY is not set" in the_error_line(bots[-1])


async def test_a_key_that_is_no_fernet_key_stops_the_run(
    tmp_path: Path, bots: list[BotProcess]
) -> None:
    db = tmp_path / "tally.db"
    bots.append(await start_bot(distributed_env(db, "not-a-key"), db))
    assert await exit_of(bots[-1]) == 2
    assert "TALLYBOT_SECRET_KEY is not a Fernet key" in the_error_line(bots[-1])
