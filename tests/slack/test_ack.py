"""Slack's 3-second ack never waits for the work: a busy database delays only the answer."""

from __future__ import annotations

import asyncio
import threading

from bot.app import Core
from tests.slack.conftest import LISTED, SlackHarness, declarations


async def hold_store(core: Core) -> tuple[threading.Event, asyncio.Future[None]]:
    """Occupy the single store thread until the returned event is set."""
    release = threading.Event()
    started = threading.Event()

    def busy(tx: object) -> None:
        started.set()
        release.wait(30)

    held = asyncio.ensure_future(core.store.run(busy))
    await asyncio.to_thread(started.wait, 30)
    return release, held


async def test_ack_returns_before_the_slow_work_finishes(
    slack: SlackHarness, slack_core: Core
) -> None:
    release, held = await hold_store(slack_core)
    try:
        answer = await slack.command("declare SK support rutte", user=LISTED, drain=False)
        # Acked while the database is still busy: nothing answered, nothing written yet.
        assert answer.status == 200
        assert answer.posts == []
        assert slack.commands._tasks  # the work is still pending after the ack
    finally:
        release.set()
        await held
    await slack.commands.drain()
    [post] = [p for p in slack.api.responses]
    assert post.payload["response_type"] == "in_channel"
    assert len(await declarations(slack_core, "SK")) == 1


async def test_acks_keep_coming_while_the_database_is_busy(
    slack: SlackHarness, slack_core: Core
) -> None:
    release, held = await hold_store(slack_core)
    try:
        answers = [await slack.command("", drain=False) for _ in range(5)]
        assert [a.status for a in answers] == [200] * 5
        assert slack.api.responses == []
    finally:
        release.set()
        await held
    await slack.commands.drain()
    assert len(slack.api.responses) == 5
