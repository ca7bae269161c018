"""A distributed Slack app (SLACK_CLIENT_ID/SECRET, HTTP mode) installed in two workspaces.

Everything runs for real: `start_slack` serves Bolt's aiohttp app on 127.0.0.1, the browser's
install is driven over HTTP (/slack/install, then /slack/oauth_redirect with the code Slack would
hand back), the fake Slack answers oauth.v2.access for two workspaces and records which token
each call used, and the rows are read back from the SQLite file.
"""

from __future__ import annotations

import logging
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet

from adapters.slack.installations import UNINSTALLED
from adapters.slack.oauth import bot_scopes
from adapters.slack.service import SlackService, slack_stores, start_slack
from bot.alerts.channels import ChannelGone, ChannelRef
from bot.alerts.model import Mode
from bot.app import Core
from bot.errors import ServiceFailed
from bot.replies import Reply, Visibility
from bot.settings import Settings, SettingsError
from bot.storage import Transaction
from tallybot.dispatch import dispatch_once
from tallybot.wiring import open_core
from tests.conftest import OPERATOR, Clock, open_demo_core
from tests.database import records
from tests.fakes.slack_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    INSTALL_SCOPES,
    FakeSlackApi,
    Workspace,
    event_body,
    signed_headers,
    slash_command_body,
)
from tests.slack.conftest import ADMIN, ANN, SECRET, declarations

KEY = Fernet.generate_key().decode()
COOKIE = "slack-app-oauth-state"
ALERT = Reply(title="Recorded: Hungary supports Mark Rutte", visibility=Visibility.PUBLIC)


@dataclass
class Distributed:
    api: FakeSlackApi
    service: SlackService
    core: Core
    a: Workspace
    b: Workspace

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    async def begin_install(self) -> tuple[str, str]:
        """GET /slack/install as a browser: (the state in Slack's authorize URL, the cookie)."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.base}/slack/install", allow_redirects=False) as response,
        ):
            assert response.status == 302
            location = urllib.parse.urlsplit(response.headers["Location"])
            cookie = response.cookies[COOKIE].value
        query = urllib.parse.parse_qs(location.query)
        assert location.netloc == "slack.com" and location.path == "/oauth/v2/authorize"
        assert query["client_id"] == [CLIENT_ID]
        assert query["scope"] == [INSTALL_SCOPES]
        return query["state"][0], cookie

    async def redirect(self, code: str, state: str, cookie: str | None = None) -> int:
        """Slack sends the installer's browser back with the code and the state."""
        headers = {"Cookie": f"{COOKIE}={cookie or state}"}
        url = f"{self.base}/slack/oauth_redirect?code={code}&state={state}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            await response.read()
            return response.status

    async def install(self, workspace: Workspace) -> None:
        state, cookie = await self.begin_install()
        assert await self.redirect(workspace.code, state, cookie) == 200

    async def post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> int:
        headers = signed_headers(SECRET, body, content_type=content_type)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.base}/slack/events", data=body.encode(), headers=headers) as r,
        ):
            return r.status

    async def command(self, text: str, workspace: Workspace, user: tuple[str, str]) -> str:
        """`/tally TEXT` from `workspace`; returns the response_url key once it is answered."""
        key = uuid.uuid4().hex
        body = slash_command_body(
            text,
            self.api.response_url(key),
            team_id=workspace.team_id,
            user_id=user[0],
            user_name=user[1],
            channel_id=f"C{workspace.team_id}",
        )
        assert await self.post(body) == 200
        await self.service.commands.drain()
        return key

    async def event(self, event: dict[str, object], workspace: Workspace) -> int:
        body = event_body(event, team_id=workspace.team_id)
        return await self.post(body, content_type="application/json")

    def raw_installations(self) -> list[dict[str, object]]:
        return records(self.core.settings.db_path, "SELECT * FROM installations ORDER BY team_id")


def distributed_settings(db_path: Path, api: FakeSlackApi, key: str | None) -> Settings:
    return Settings(
        db_path=db_path,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SECRET,
        slack_api_url=api.api_url,
        secret_key=key,
        port=0,
        shared_community="local",  # one newsroom's deployment: both workspaces read the demo
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as api:
        api.add_user(*ANN)
        api.add_user(*ADMIN, is_admin=True)
        yield api


@pytest.fixture
async def app(fake: FakeSlackApi, db_path: Path, clock: Clock) -> AsyncIterator[Distributed]:
    a = fake.add_workspace("T0AAA", "Alpha Desk")
    b = fake.add_workspace("T0BBB", "Bravo Desk")
    settings = distributed_settings(db_path, fake, KEY)
    assert settings.slack_distributed and settings.slack_missing() is None
    core = await open_demo_core(settings, clock)
    service = await start_slack(core, host="127.0.0.1")
    yield Distributed(fake, service, core, a, b)
    await service.stop()
    core.close()


async def subscribe(core: Core, channel: ChannelRef, clock: Clock) -> None:
    def work(tx: Transaction) -> None:
        local = tx.records.community_by_slug("local")
        assert local is not None  # the shared community the demo lives in
        tx.alerts.subscribe(
            channel, None, Mode.EVERY, None, "UTC", "test", clock(), community_id=local.id
        )

    await core.store.run(work)


def channel_of(workspace: Workspace, name: str = "GENERAL") -> ChannelRef:
    return ChannelRef("slack", workspace.team_id, f"C{workspace.team_id}{name}")


async def test_install_saves_the_workspace_with_its_token_encrypted(app: Distributed) -> None:
    await app.install(app.a)
    [exchange] = app.api.calls("oauth.v2.access")
    assert exchange.payload["code"] == app.a.code
    [row] = app.raw_installations()
    assert row["team_id"] == app.a.team_id and row["enterprise_id"] == ""
    assert row["bot_user_id"] == app.a.bot_user_id
    assert row["installer_user_id"] == app.a.installer
    assert row["bot_scopes"] == INSTALL_SCOPES
    token = str(row["bot_token"])
    assert token.startswith("fernet:") and app.a.token not in token
    assert Fernet(KEY.encode()).decrypt(token.removeprefix("fernet:").encode()).decode() == (
        app.a.token
    )
    installations, _ = slack_stores(app.core)
    assert await installations.token_for(app.a.team_id) == app.a.token
    assert await installations.token_for(app.b.team_id) is None


async def test_tokens_never_reach_the_logs(
    app: Distributed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await app.install(app.a)
    await app.command("declare SK support rutte", app.a, ADMIN)
    assert "oauth.v2.access" in caplog.text  # slack_sdk did log the exchange, at DEBUG
    assert app.a.token not in caplog.text
    assert "[redacted]" in caplog.text  # the token's place, kept visible


async def test_a_replayed_or_unknown_state_is_refused(app: Distributed) -> None:
    state, cookie = await app.begin_install()
    assert await app.redirect(app.a.code, state, cookie) == 200
    # The same redirect again (a replay): the state was consumed.
    assert await app.redirect(app.b.code, state, cookie) == 401
    # A state never issued, even with a matching cookie.
    assert await app.redirect(app.b.code, "forged-state") == 401
    # A state issued, but the browser is not the one it was issued to.
    state, _ = await app.begin_install()
    assert await app.redirect(app.b.code, state, cookie="another-browser") == 400
    assert len(app.api.calls("oauth.v2.access")) == 1  # Slack was never asked for B's code
    assert [r["team_id"] for r in app.raw_installations()] == [app.a.team_id]


async def test_an_expired_state_is_refused(app: Distributed, clock: Clock) -> None:
    state, cookie = await app.begin_install()
    clock.now += timedelta(minutes=11)
    assert await app.redirect(app.a.code, state, cookie) == 401
    assert app.raw_installations() == []


async def test_each_workspace_is_answered_with_its_own_token(app: Distributed) -> None:
    await app.install(app.a)
    await app.install(app.b)
    # A write asks Slack about the user's rights (users.info) with the asking workspace's token.
    key_a = await app.command("declare SK support rutte", app.a, ADMIN)
    key_b = await app.command("declare LT support rutte", app.b, ADMIN)
    [info_a, info_b] = app.api.calls("users.info")
    assert (info_a.token, info_b.token) == (app.a.token, app.b.token)
    for key in (key_a, key_b):
        [post] = [p for p in app.api.responses if p.key == key]
        assert post.payload["response_type"] == "in_channel"
    # Bolt's authorize checked each workspace's token (auth.test) before the listener ran.
    checked = {r.token for r in app.api.calls("auth.test")}
    assert {app.a.token, app.b.token} <= checked
    before = len(app.api.calls("auth.test"))
    key = await app.command("trackers", app.a, ANN)
    assert [p.key for p in app.api.responses].count(key) == 1
    assert len(app.api.calls("auth.test")) == before  # kept per token: no wait before the ack


async def test_a_workspace_that_never_installed_is_not_served(app: Distributed) -> None:
    await app.install(app.a)
    key = uuid.uuid4().hex
    body = slash_command_body(
        "declare SK support rutte", app.api.response_url(key), team_id="T0ZZZ"
    )
    assert await app.post(body) == 200
    await app.service.commands.drain()
    assert app.api.calls("users.info") == []
    [post] = [p for p in app.api.responses if p.key == key]  # Bolt's own word: reinstall
    assert "installation with this app is no longer available" in post.payload["text"]
    assert await declarations(app.core, "SK") == []


async def test_alerts_go_with_the_channel_workspace_token(app: Distributed) -> None:
    await app.install(app.a)
    await app.install(app.b)
    await app.service.sender.send(channel_of(app.b), ALERT)
    await app.service.sender.send(channel_of(app.a), ALERT)
    [to_b, to_a] = app.api.calls("chat.postMessage")
    assert (to_b.payload["channel"], to_b.token) == (channel_of(app.b).channel, app.b.token)
    assert (to_a.payload["channel"], to_a.token) == (channel_of(app.a).channel, app.a.token)


async def test_the_alert_process_posts_with_the_channel_workspace_token(
    app: Distributed, clock: Clock
) -> None:
    """`tallybot dispatch --once` (its own core and senders, as a separate process would)."""
    await app.install(app.a)
    await app.install(app.b)
    await subscribe(app.core, channel_of(app.b), clock)
    reply = await app.core.dispatcher.run_text("declare SK support rutte", OPERATOR)
    assert reply.ok, reply.title
    assert await dispatch_once(app.core.settings) == 0
    [post] = app.api.calls("chat.postMessage")
    assert (post.payload["channel"], post.token) == (channel_of(app.b).channel, app.b.token)


async def test_app_uninstalled_removes_tokens_and_pauses_channels(
    app: Distributed, clock: Clock
) -> None:
    await app.install(app.a)
    await app.install(app.b)
    for channel in (channel_of(app.a), channel_of(app.a, "DESK"), channel_of(app.b)):
        await subscribe(app.core, channel, clock)
    app.api.revoke(app.a.token)

    assert await app.event({"type": "app_uninstalled"}, app.a) == 200

    assert [r["team_id"] for r in app.raw_installations()] == [app.b.team_id]
    states = {
        channel: await app.core.store.run(lambda tx, c=channel: tx.alerts.channel_state(c))
        for channel in (channel_of(app.a), channel_of(app.a, "DESK"), channel_of(app.b))
    }
    assert [s.paused_reason for s in states.values()] == [UNINSTALLED, UNINSTALLED, None]
    with pytest.raises(ChannelGone):
        await app.service.sender.send(channel_of(app.a), ALERT)
    await app.service.sender.send(channel_of(app.b), ALERT)  # B is untouched
    assert [m.channel for m in app.api.messages] == [channel_of(app.b).channel]

    # Installed again: the channels paused by the uninstall resume.
    await app.install(replace(app.a, code=app.api.add_workspace("T0AAA", "Alpha Desk").code))
    state = await app.core.store.run(lambda tx: tx.alerts.channel_state(channel_of(app.a)))
    assert not state.paused


async def test_pausing_a_workspace_keeps_other_pauses_and_skips_unsubscribed_channels(
    app: Distributed, clock: Clock
) -> None:
    live, left, deleted = (channel_of(app.a, n) for n in ("LIVE", "LEFT", "DELETED"))
    for channel in (live, left, deleted):
        await subscribe(app.core, channel, clock)

    def set_up(tx: Transaction) -> None:
        tx.alerts.unsubscribe(left, None, True, clock())
        tx.alerts.record_gone(deleted, "slack: channel_not_found", clock(), 1)

    await app.core.store.run(set_up)
    paused = await app.core.store.run(
        lambda tx: tx.alerts.pause_workspace("slack", app.a.team_id, UNINSTALLED, clock())
    )
    assert paused == 1
    states = [
        await app.core.store.run(lambda tx, c=c: tx.alerts.channel_state(c))
        for c in (live, left, deleted)
    ]
    assert [s.paused_reason for s in states] == [UNINSTALLED, None, "slack: channel_not_found"]
    resumed = await app.core.store.run(
        lambda tx: tx.alerts.resume_workspace("slack", app.a.team_id, UNINSTALLED)
    )
    assert resumed == 1  # the deleted channel stays paused


async def test_tokens_revoked_removes_the_bot_token(app: Distributed, clock: Clock) -> None:
    await app.install(app.b)
    await subscribe(app.core, channel_of(app.b), clock)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [app.b.bot_user_id]}}
    assert await app.event(revoked, app.b) == 200
    assert app.raw_installations() == []
    state = await app.core.store.run(lambda tx: tx.alerts.channel_state(channel_of(app.b)))
    assert state.paused_reason == UNINSTALLED


async def test_a_user_token_revoked_keeps_the_bot_token(app: Distributed) -> None:
    await app.install(app.a)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [app.a.installer], "bot": []}}
    assert await app.event(revoked, app.a) == 200
    assert [r["team_id"] for r in app.raw_installations()] == [app.a.team_id]


async def test_without_a_key_tokens_are_kept_as_they_are_with_one_warning(
    fake: FakeSlackApi, db_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    a = fake.add_workspace("T0AAA", "Alpha Desk")
    core = await open_demo_core(distributed_settings(db_path, fake, None), clock)
    with caplog.at_level(logging.WARNING):
        service = await start_slack(core, host="127.0.0.1")
    try:
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "TALLYBOT_SECRET_KEY is not set" in warnings[0]
        running = Distributed(fake, service, core, a, a)
        await running.install(a)
        assert [r["bot_token"] for r in running.raw_installations()] == [a.token]
    finally:
        await service.stop()
        core.close()


async def test_a_wrong_or_missing_key_stops_the_start(
    fake: FakeSlackApi, db_path: Path, clock: Clock
) -> None:
    a = fake.add_workspace("T0AAA", "Alpha Desk")
    core = await open_demo_core(distributed_settings(db_path, fake, KEY), clock)
    service = await start_slack(core, host="127.0.0.1")
    await Distributed(fake, service, core, a, a).install(a)
    await service.stop()
    core.close()

    other = Fernet.generate_key().decode()
    for key, says in ((other, "is not the key"), (None, "TALLYBOT_SECRET_KEY is not set")):
        core = open_core(distributed_settings(db_path, fake, key), clock)
        try:
            with pytest.raises(ServiceFailed, match=says):
                await start_slack(core, host="127.0.0.1")
        finally:
            core.close()


def test_settings_say_what_a_distributed_app_lacks(db_path: Path) -> None:
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SECRET,
        "TALLYBOT_SECRET_KEY": KEY,
    }
    settings = Settings.from_env(env)
    assert settings.slack_distributed and settings.slack_enabled
    assert settings.slack_missing() is None
    assert "SLACK_SIGNING_SECRET" in str(
        Settings.from_env({**env, "SLACK_SIGNING_SECRET": ""}).slack_missing()
    )
    assert "not both" not in str(Settings.from_env({**env, "SLACK_BOT_TOKEN": "xoxb-1"}))
    both = Settings.from_env({**env, "SLACK_BOT_TOKEN": "xoxb-1"}).slack_missing()
    assert both is not None and "both set" in both
    socket = Settings.from_env({**env, "SLACK_APP_TOKEN": "xapp-1"}).slack_missing()
    assert socket is not None and "HTTP mode" in socket
    with pytest.raises(SettingsError, match="not a Fernet key"):
        Settings.from_env({**env, "TALLYBOT_SECRET_KEY": "hunter2"})
    assert KEY not in repr(settings) and CLIENT_SECRET not in repr(settings)


def test_the_install_asks_for_the_manifest_scopes() -> None:
    assert ",".join(bot_scopes()) == INSTALL_SCOPES
