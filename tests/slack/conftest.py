"""Slack fixtures: a core with the demo tracker, the fake Slack API, and the real Bolt app.

Requests go through Bolt's real path (signature check, payload parsing, listener matching):
`SlackHarness.command()` builds and signs the form body Slack would send and dispatches it.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.app import TallyCommands, build_app
from adapters.slack.client import interactive_client
from bot.app import Core
from bot.demo import DEMO_TRACKER
from bot.domain import Declaration
from bot.settings import Settings
from tests.conftest import Clock, open_demo_core
from tests.fakes.slack_api import (
    DEFAULT_TOKEN,
    FakeSlackApi,
    ResponsePost,
    block_action_body,
    signed_headers,
    slash_command_body,
)

SECRET = "test-signing-secret"
ANN = ("U0ANN", "ann")
"""An ordinary member of the workspace."""
ADMIN = ("U0ADMIN", "ada")
"""A workspace admin (users.info is_admin)."""
LISTED = ("U0MOD", "max")
"""Listed in TALLYBOT_SLACK_MODERATORS."""
BOB = ("U0BOB", "bob")


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        fake.add_user(*ANN)
        fake.add_user(*ADMIN, display_name="Ada Admin", is_admin=True)
        fake.add_user(*LISTED)
        fake.add_user(*BOB)
        yield fake


@pytest.fixture
def slack_settings(db_path: Path, slack_api: FakeSlackApi) -> Settings:
    return Settings(
        db_path=db_path,
        # One deployment, one community: these suites test the platforms, not tenancy.
        shared_community="local",
        slack_bot_token=DEFAULT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.api_url,
        slack_moderators=(LISTED[0],),
        port=0,
    )


@pytest.fixture
async def slack_core(slack_settings: Settings, clock: Clock) -> AsyncIterator[Core]:
    core = await open_demo_core(slack_settings, clock)
    yield core
    core.close()


@dataclass
class Answer:
    """What Slack got back for one request: the HTTP ack and the response_url posts."""

    status: int
    ack_body: str
    posts: list[ResponsePost]

    @property
    def post(self) -> ResponsePost:
        assert len(self.posts) == 1, self.posts
        return self.posts[0]


class SlackHarness:
    def __init__(self, app: AsyncApp, commands: TallyCommands, api: FakeSlackApi) -> None:
        self.app = app
        self.commands = commands
        self.api = api

    async def send(self, body: str, headers: dict[str, str]) -> BoltResponse:
        request = AsyncBoltRequest(body=body, headers=headers)
        return await self.app.async_dispatch(request)

    async def command(
        self,
        text: str,
        user: tuple[str, str] = ANN,
        secret: str = SECRET,
        timestamp: int | None = None,
        drain: bool = True,
        channel_id: str = "C0GENERAL",
        extra: dict[str, str] | None = None,
    ) -> Answer:
        """`/tally TEXT` as Slack sends it (`text` already Slack-encoded); `extra` adds fields
        (Slack Connect's `user_team`)."""
        key = uuid.uuid4().hex
        body = slash_command_body(
            text,
            self.api.response_url(key),
            user_id=user[0],
            user_name=user[1],
            channel_id=channel_id,
        )
        if extra:
            body += "&" + urllib.parse.urlencode(extra)
        response = await self.send(body, signed_headers(secret, body, timestamp))
        if drain:
            await self.commands.drain()
        return Answer(response.status, response.body, self.posts(key))

    async def click(self, value: str, user: tuple[str, str] = ANN, action_id: str = "") -> Answer:
        key = uuid.uuid4().hex
        body = block_action_body(
            action_id or "tally_share",
            value,
            self.api.response_url(key),
            user_id=user[0],
            user_name=user[1],
        )
        response = await self.send(body, signed_headers(SECRET, body))
        await self.commands.drain()
        return Answer(response.status, response.body, self.posts(key))

    def posts(self, key: str) -> list[ResponsePost]:
        return [p for p in self.api.responses if p.key == key]


@pytest.fixture
async def slack(slack_core: Core, slack_api: FakeSlackApi) -> AsyncIterator[SlackHarness]:
    client = interactive_client(DEFAULT_TOKEN, slack_api.api_url)
    app, commands = build_app(slack_core, client, signing_secret=SECRET)
    yield SlackHarness(app, commands, slack_api)
    await commands.drain()
    await commands.response_urls.close()


async def declarations(core: Core, member: str, slug: str = DEMO_TRACKER) -> list[Declaration]:
    def read(tx: Any) -> list[Declaration]:
        repo = tx.records
        tracker = repo.tracker_by_slug(slug)
        return repo.history(tracker.id, member, limit=50)

    return await core.store.run(read)


def header(post: ResponsePost) -> str:
    return post.blocks[0]["text"]["text"]


def all_text(post: ResponsePost) -> str:
    """Every string Slack would display or parse from the message."""
    import json

    return json.dumps(post.payload, ensure_ascii=False)
