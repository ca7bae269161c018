"""A demo database with one public tracker (the demo, plus a hostile quote) and one private
tracker, served by the public pages on an aiohttp test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.app import Pages, pages_application
from bot.app import Core
from bot.demo import DEMO_TRACKER
from bot.settings import Settings
from tests.conftest import OPERATOR, Clock, open_demo_core

PUBLIC = DEMO_TRACKER
PRIVATE = "secret-2024"
HOSTILE_QUOTE = "<script>alert(1)</script>"
HOSTILE_SPEAKER = 'O\'Brien "the" <b>bold</b> & co'
SETUP = (
    f"tracker edit {PUBLIC} visibility=public",
    f'declare TR undecided date=2024-04-03 quote="{HOSTILE_QUOTE}" '
    'speaker="O\'Brien \\"the\\" <b>bold</b> & co" source="https://example.org/a?b=1&c=2"',
    f"tracker withdraw {PUBLIC} Klaus Iohannis date=2024-04-05",
    f'tracker new {PRIVATE} "Hidden <i>race</i>" kind=approval rule=unanimity opened=2024-01-01',
    f"declare FR support date=2024-01-02 tracker={PRIVATE}",
)


async def run_ok(core: Core, text: str) -> None:
    reply = await core.dispatcher.run_text(text, OPERATOR)
    assert reply.ok, f"{text}: {reply.title} {reply.lines}"


@pytest.fixture
async def web_core(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    core = await open_demo_core(Settings(db_path=db_path, port=0), clock)
    for text in SETUP:
        await run_ok(core, text)
    yield core
    core.close()


@pytest.fixture
def pages(web_core: Core, clock: Clock) -> Pages:
    return Pages(web_core.store, clock)


@pytest.fixture
async def client(pages: Pages) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(pages_application(pages))) as test_client:
        yield test_client
