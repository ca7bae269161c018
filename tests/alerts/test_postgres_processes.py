"""Three `tallybot run` processes on one PostgreSQL database, as real processes posting to the
Slack and Discord fakes (issue 12, "Tested for real").

- A declaration made on one bot (a signed Slack command) and one made by `tallybot exec` reach
  every subscribed channel exactly once, in per-channel order, whichever bot delivers.
- One of the three SIGKILLed in the middle of a 1,000-channel fan-out: every channel gets its
  alert; a channel sees it twice only where the killed process had the platform accept it and
  had not yet marked it sent (the window README names).
- The network to PostgreSQL cut for 10 s in the middle of a fan-out (a TCP proxy between the
  bots and the server resets every connection and refuses new ones; the server itself keeps
  running): nothing is lost or sent twice, a declaration committed meanwhile by another process
  goes out once the network is back, and the bots answer commands again.

Each test runs on a schema of its own (prefix t_mp_); without TALLYBOT_TEST_POSTGRES_URL they
are skipped with that reason.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.alerts.channels import ChannelRef
from bot.alerts.model import Mode
from bot.app import Core
from bot.limits import Limits
from bot.settings import Settings
from store.transaction import as_store
from tests.alerts.conftest import (
    GUILD,
    LITHUANIA,
    SLACK_TEAM,
    assert_ledger,
    platform_messages,
    until,
)
from tests.conftest import collect, isolated_env, spawn_tallybot
from tests.e2e.test_whole_bot import (
    BotProcess,
    World,
    free_port,
    healthy,
    slack_command,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi, ResponsePost
from tests.pg_proxy import proxy_to, through
from tests.postgres import fresh_schema, require_server

SIGNING_SECRET = "pg-processes-signing-secret-5d21"
SLACK_MOD = ("U0MOD", "max")
"""Listed in TALLYBOT_SLACK_MODERATORS of every bot: may declare from Slack."""
DESK = "C0DESK"
"""Where the Slack command is typed (not subscribed)."""
ESTONIA = 'declare EE support rutte quote="Estonia backs him again" date=2024-04-03'
LATVIA = 'declare LV support rutte quote="Latvia too" date=2024-04-04'
WAIT_SECONDS = 120.0
"""Only stops a broken run from hanging (three bots, the fakes and PostgreSQL on 2 cores)."""
CUT_SECONDS = 10.0


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh schema (t_mp_...) on the test server, dropped after the test."""
    server = require_server()
    monkeypatch.setenv("TALLYBOT_TEST_SCHEMA_PREFIX", "t_mp_")
    with fresh_schema(server) as url:
        yield url


@pytest.fixture
def settings(pg_url: str, fake_slack: FakeSlackApi, fake_discord: FakeDiscord) -> Settings:
    """The alert suites' settings (tests/alerts/conftest.py) on PostgreSQL."""
    return Settings(
        db_path=pg_url,
        shared_community="local",
        slack_bot_token=DEFAULT_TOKEN,
        slack_api_url=fake_slack.api_url,
        discord_token=fake_discord.token,
        discord_api_url=fake_discord.api_url,
        limits=Limits(writes_per_minute=100_000),
    )


def run_env(
    database: str, port: int, slack: FakeSlackApi, discord: FakeDiscord, lease: float | None
) -> dict[str, str]:
    extra = {"TALLYBOT_ALERT_LEASE": str(lease)} if lease is not None else {}
    return isolated_env(
        database,  # type: ignore[arg-type]  # a URL: isolated_env only puts it in TALLYBOT_DB
        TALLYBOT_LOG_LEVEL="WARNING",
        TALLYBOT_SHARED_COMMUNITY="local",
        TALLYBOT_SLACK_MODERATORS=SLACK_MOD[0],
        TALLYBOT_DISCORD_MOD_ROLE="",
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_APP_TOKEN="",
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
        DISCORD_TOKEN=discord.token,
        DISCORD_API_URL=discord.api_url,
        DISCORD_APPLICATION_ID="",
        **extra,
    )


async def start_runs(
    bots: list[BotProcess],
    count: int,
    database: str,
    slack: FakeSlackApi,
    discord: FakeDiscord,
    lease: float | None = None,
) -> None:
    """`count` bots on `database`, each serving Slack on its own port and connected to the
    Discord gateway (ready to deliver on both platforms); added to `bots` as they start."""
    identified = len(discord.identified)
    for _ in range(count):
        port = free_port()
        process = await spawn_tallybot(run_env(database, port, slack, discord, lease), "run")
        bot = BotProcess(process, port, database)  # type: ignore[arg-type]
        bot.readers = [
            asyncio.create_task(collect(process.stdout, bot.stdout)),
            asyncio.create_task(collect(process.stderr, bot.stderr)),
        ]
        bots.append(bot)
    async with asyncio.timeout(WAIT_SECONDS):
        for bot in bots:
            while not await healthy(bot.port):
                assert not bot.exited_early(), bot.exited_early()
                await asyncio.sleep(0.1)
        while len(discord.identified) < identified + count:
            await asyncio.sleep(0.05)


async def exec_command(database: str, text: str) -> None:
    """`tallybot exec TEXT` as its own process (the operator at another machine)."""
    env = isolated_env(database, TALLYBOT_LOG_LEVEL="WARNING", TALLYBOT_SHARED_COMMUNITY="local")  # type: ignore[arg-type]
    process = await spawn_tallybot(env, "exec", text)
    async with asyncio.timeout(WAIT_SECONDS):
        out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    assert "Recorded #" in out.decode(), out.decode()


async def subscribe_directly(core: Core, slack: int, discord: int) -> None:
    """`slack` Slack and `discord` Discord channels subscribed to the demo tracker in one
    transaction (a thousand `/tally subscribe` would only slow the set-up down)."""

    def work(tx):  # type: ignore[no-untyped-def]
        tracker = tx.records.tracker_by_slug("nato-sg-2024")
        now = datetime.now(UTC)
        refs = [ChannelRef("slack", SLACK_TEAM, f"C{n:04d}") for n in range(slack)]
        refs += [ChannelRef("discord", GUILD, str(10**17 + n)) for n in range(discord)]
        for ref in refs:
            tx.alerts.subscribe(
                ref,
                tracker.id,
                Mode.EVERY,
                None,
                "UTC",
                "test",
                now,
                community_id=tracker.community_id,
            )

    await core.store.run(work)


async def outbox(core: Core) -> list[dict[str, object]]:
    return await core.store.run(lambda tx: as_store(tx).alerts.outbox(), write=False)


async def wait_all_sent(core: Core, bots: list[BotProcess], rows: int) -> list[dict[str, object]]:
    """Until the outbox holds `rows` rows, every one sent; a bot that exits (other than one
    the test killed) fails the test with its output."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        found = await outbox(core)
        if len(found) == rows and all(r["status"] == "sent" for r in found):
            return found
        for bot in bots:
            assert bot.process.returncode in (None, -signal.SIGKILL), bot.output()
        if loop.time() > deadline:
            leases = await core.store.run(
                lambda tx: (
                    as_store(tx)
                    .records.db.execute(
                        "SELECT holder, count(*), min(lease_until), max(lease_until) "
                        "FROM alert_leases GROUP BY holder"
                    )
                    .fetchall()
                ),
                write=False,
            )
            leases.append(("now", datetime.now(UTC).isoformat(), [b.process.pid for b in bots]))
            leases.append(
                await core.store.run(
                    lambda tx: (
                        as_store(tx)
                        .records.db.execute(
                            "SELECT channel, pace FROM alert_leases WHERE holder IS NOT NULL "
                            "ORDER BY channel LIMIT 8"
                        )
                        .fetchall()
                    ),
                    write=False,
                )
            )
            statuses: dict[str, int] = {}
            for row in found:
                statuses[str(row["status"])] = statuses.get(str(row["status"]), 0) + 1
            logs = "\n".join(
                "\n".join(line for line in bot.output().splitlines() if "discord.http" not in line)[
                    -3000:
                ]
                for bot in bots
            )
            dump_logs(bots)
            pending = [
                {k: row[k] for k in ("id", "platform", "channel", "attempts", "last_error")}
                for row in found
                if row["status"] != "sent"
            ]
            raise AssertionError(
                f"not all sent: {statuses}; leases {leases}; pending {pending}\n{logs}"
            )
        await asyncio.sleep(0.2)


def dump_logs(bots: list[BotProcess]) -> None:
    """Every bot's whole output to the file TALLYBOT_TEST_LOGS names, if set (post-mortems)."""
    if path := os.environ.get("TALLYBOT_TEST_LOGS"):
        with open(path, "w") as out:
            for bot in bots:
                out.write(f"== bot {bot.process.pid}\n{bot.output()}\n")


def no_traceback(bots: list[BotProcess]) -> None:
    dump_logs(bots)
    for bot in bots:
        if bot.process.returncode != -signal.SIGKILL:
            assert "Traceback" not in bot.output(), bot.output()


def titles(slack: FakeSlackApi, discord: FakeDiscord) -> dict[tuple[str, str], list[str]]:
    return {k: [t for _, t in v] for k, v in platform_messages(slack, discord).items()}


async def slack_reply(world: World, text: str) -> dict[str, object]:
    """A signed `/tally TEXT` from the Slack moderator to this bot; its response_url post."""
    status, key = await slack_command(world, text, SLACK_MOD, DESK, SIGNING_SECRET)
    assert status == 200, f"Slack ack for {text!r} was HTTP {status}:\n{world.bot.output()}"

    def posts() -> list[ResponsePost]:
        return [p for p in world.slack.responses if p.key == key]

    await until(lambda: bool(posts()), WAIT_SECONDS)
    return posts()[0].payload


async def test_three_bots_deliver_each_declaration_once_in_order(
    demo: Core,
    pg_url: str,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
    bots: list[BotProcess],
) -> None:
    fake_slack.add_user(*SLACK_MOD)
    await subscribe_directly(demo, slack=40, discord=20)
    await start_runs(bots, 3, pg_url, fake_slack, fake_discord)

    # Made on the first bot, from Slack; then by `tallybot exec`, a fourth process that
    # delivers nothing; then on the third bot. The bots hear of each other's commits by
    # LISTEN/NOTIFY.
    answer = await slack_reply(World(bots[0], fake_slack, fake_discord), LITHUANIA)
    assert "Recorded #" in str(answer), answer
    await exec_command(pg_url, ESTONIA)
    answer = await slack_reply(World(bots[2], fake_slack, fake_discord), LATVIA)
    assert "Recorded #" in str(answer), answer

    rows = await wait_all_sent(demo, bots, 3 * 60)
    await asyncio.sleep(0.5)  # anything sent twice would have reached the fakes by now
    assert_ledger(rows, fake_slack, fake_discord)  # each once, in row order, nothing extra
    got = titles(fake_slack, fake_discord)
    assert len(got) == 60
    for key, channel_titles in got.items():
        assert len(channel_titles) == 3, (key, channel_titles)
        for title, name in zip(channel_titles, ("Lithuania", "Estonia", "Latvia"), strict=True):
            assert name in title, (key, channel_titles)
    delivered_by = {str(r["message_id"]) for r in rows}
    assert len(delivered_by) == len(rows)
    no_traceback(bots)


async def test_a_bot_killed_mid_fanout_of_1000_channels_loses_nothing(
    demo: Core,
    pg_url: str,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
    bots: list[BotProcess],
) -> None:
    per_platform = 500
    await subscribe_directly(demo, slack=per_platform, discord=per_platform)
    # The shortest lease README allows with the default 10 s send timeout (2 x 10 + 4): a
    # shorter one lets a slow send (a 429 retried inside discord.py) outlive its lease margin.
    await start_runs(bots, 3, pg_url, fake_slack, fake_discord, lease=24.0)
    await exec_command(pg_url, LITHUANIA)

    # Killed once the fan-out is well under way (a fifth of it accepted): the bot holding the
    # most channels at that moment (holders are HOST:PID:TAG).
    await until(lambda: len(fake_slack.messages) + len(fake_discord.messages) >= 200, WAIT_SECONDS)
    holders = await demo.store.run(
        lambda tx: [
            str(r[0])
            for r in as_store(tx).records.db.execute(
                "SELECT holder FROM alert_leases WHERE holder IS NOT NULL"
            )
        ],
        write=False,
    )
    pids = [int(h.split(":")[-2]) for h in holders]
    victim = max(bots, key=lambda b: pids.count(b.process.pid))
    survivors = [b for b in bots if b is not victim]
    os.kill(victim.process.pid, signal.SIGKILL)
    assert await victim.process.wait() == -signal.SIGKILL
    await asyncio.sleep(0.3)  # requests already on the wire reach the fakes' handlers

    # What the victim held when it died: its channels wait for their leases to run out.
    dead = f":{victim.process.pid}:"

    def left_behind(tx):  # type: ignore[no-untyped-def]
        store_tx = as_store(tx)
        held = {
            (str(r[0]), str(r[1]))
            for r in store_tx.records.db.execute(
                "SELECT platform, channel FROM alert_leases WHERE holder LIKE ?", [f"%{dead}%"]
            )
        }
        return held, store_tx.alerts.outbox()

    held, at_kill = await demo.store.run(left_behind, write=False)
    accepted = platform_messages(fake_slack, fake_discord)
    holders = await demo.store.run(
        lambda tx: (
            as_store(tx)
            .records.db.execute("SELECT holder, count(*) FROM alert_leases GROUP BY holder")
            .fetchall()
        ),
        write=False,
    )
    assert held, f"the kill should land while the victim holds channels: {holders}, {dead}"
    assert any(r["status"] == "pending" for r in at_kill), "the kill should land mid fan-out"
    # The README's window: a row the platform accepted from the victim and the victim had not
    # marked sent. Only those may reach their channel twice.
    may_repeat: set[tuple[str, str, int]] = set()
    for platform, channel in held:
        rows = [r for r in at_kill if (r["platform"], r["channel"]) == (platform, channel)]
        marked = sum(1 for r in rows if r["status"] == "sent")
        unmarked = len(accepted.get((platform, channel), [])) - marked
        pending = sorted((r for r in rows if r["status"] == "pending"), key=lambda r: r["id"])
        may_repeat |= {(platform, channel, int(r["id"])) for r in pending[: max(unmarked, 0)]}

    final = await wait_all_sent(demo, survivors, 2 * per_platform)
    await asyncio.sleep(0.5)
    assert [r["id"] for r in final] == [r["id"] for r in at_kill]  # nothing lost, nothing new
    assert_ledger(final, fake_slack, fake_discord, may_repeat)
    got = titles(fake_slack, fake_discord)
    assert len(got) == 2 * per_platform  # every channel
    for key, channel_titles in got.items():
        assert all("Lithuania" in t for t in channel_titles), (key, channel_titles)
    repeats = sum(len(t) - 1 for t in got.values())
    print(
        f"\n{len(held)} channels held by the killed bot; {len(may_repeat)} rows in the "
        f"window; {repeats} repeated"
    )
    for bot in survivors:
        assert bot.process.returncode is None, bot.output()
    no_traceback(survivors)


async def test_a_10_second_network_cut_to_postgres_loses_nothing(
    demo: Core,
    pg_url: str,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
    bots: list[BotProcess],
) -> None:
    fake_slack.add_user(*SLACK_MOD)
    per_platform = 150
    await subscribe_directly(demo, slack=per_platform, discord=per_platform)
    async with proxy_to(pg_url) as proxy:
        proxied = through(pg_url, proxy)
        await start_runs(bots, 3, proxied, fake_slack, fake_discord)  # the default lease
        world = World(bots[0], fake_slack, fake_discord)
        await exec_command(pg_url, LITHUANIA)
        await until(
            lambda: len(fake_slack.messages) + len(fake_discord.messages) >= 60, WAIT_SECONDS
        )

        await proxy.cut()
        cut_at = time.monotonic()
        # Meanwhile another process, with its own way to the server, records a declaration:
        # the bots can't hear its NOTIFY; they must find it once they are back.
        await exec_command(pg_url, ESTONIA)
        # A bot asked during the cut answers (from memory, or that the database is away);
        # it neither hangs nor crashes. And `tallybot exec` through the cut network says in
        # one line that the database can't be used (exit 1, as for any failed command).
        asked = asyncio.create_task(slack_reply(world, "nato-sg-2024"))
        cut_exec = await spawn_tallybot(
            isolated_env(proxied, TALLYBOT_LOG_LEVEL="WARNING"),  # type: ignore[arg-type]
            "exec",
            "/tally",
        )
        out, err = await cut_exec.communicate()
        assert cut_exec.returncode == 1, (out + err).decode()
        assert len(err.decode().strip().splitlines()) == 1, err.decode()
        assert "can't be used" in err.decode() and "Traceback" not in err.decode()
        await asyncio.sleep(max(0.0, CUT_SECONDS - (time.monotonic() - cut_at)))
        await proxy.restore()
        during = await asyncio.wait_for(asked, WAIT_SECONDS)
        assert during, "the bot asked during the cut gave no answer"

        rows = await wait_all_sent(demo, bots, 2 * 2 * per_platform)
        await asyncio.sleep(0.5)
        assert_ledger(rows, fake_slack, fake_discord)  # each once, in order
        got = titles(fake_slack, fake_discord)
        assert len(got) == 2 * per_platform
        for key, channel_titles in got.items():
            assert len(channel_titles) == 2, (key, channel_titles)
            assert "Lithuania" in channel_titles[0] and "Estonia" in channel_titles[1], key

        # And every bot answers commands again, through the restored network.
        for bot in bots:
            answer = await slack_reply(World(bot, fake_slack, fake_discord), "nato-sg-2024")
            assert "Rutte" in str(answer), answer
        assert proxy.cuts == 1
        for bot in bots:
            assert bot.process.returncode is None, bot.output()
        no_traceback(bots)
        print(f"\nanswer during the cut: {str(during)[:200]}")
