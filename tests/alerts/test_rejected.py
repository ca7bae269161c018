"""An alert the platform refuses for good (or that its sender keeps choking on) is set aside:
the channel's next alerts still go out, in order, none twice, and the channel is not paused."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace

import pytest

from bot.alerts.channels import AlertSender, ChannelRef
from bot.alerts.delivery import Deliverer
from bot.app import Core
from bot.replies import Reply
from store.thread import as_sqlite
from tests.alerts.conftest import (
    CONSOLE,
    FAST,
    LITHUANIA,
    SLACK_TEAM,
    Delivery,
    Run,
    discord_mod,
    discord_titles,
    slack_mod,
    slack_titles,
)
from tests.fakes.discord_api import FakeDiscord, Fault
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi

ESTONIA = 'declare EE support rutte quote="Estonia backs him again" date=2024-04-03'
SLOVAKIA = "declare SK support rutte date=2024-04-04"


async def _record_three(run_as: Run) -> None:
    for text in (LITHUANIA, ESTONIA, SLOVAKIA):
        await run_as(text)


async def _rows(core: Core, channel: str) -> list[dict[str, object]]:
    rows = await core.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    return [r for r in rows if r["channel"] == channel]


def _assert_rest_in_order(titles: list[str]) -> None:
    """Lithuania's alert was refused; Estonia's and Slovakia's followed, once each, in order."""
    assert len(titles) == 2, titles
    assert "Estonia backs Mark Rutte" in titles[0]
    assert "Slovakia backs Mark Rutte" in titles[1]


async def test_a_message_slack_refuses_is_set_aside_and_the_channel_goes_on(
    demo: Core,
    run_as: Run,
    delivery: Delivery,
    fake_slack: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await run_as("/tally subscribe nato-sg-2024", slack_mod("C1"))
    await run_as("/tally subscribe nato-sg-2024", slack_mod("C2"))
    fake_slack.fault("C1", "error", error="msg_too_long", times=1)
    await _record_three(run_as)
    with caplog.at_level(logging.WARNING, logger="bot.alerts.delivery"):
        await delivery.drain()

    _assert_rest_in_order(slack_titles(fake_slack, "C1"))
    assert len(slack_titles(fake_slack, "C2")) == 3  # the other channel never noticed
    calls = [r for r in fake_slack.calls("chat.postMessage") if r.payload["channel"] == "C1"]
    assert len(calls) == 3  # the refused alert was tried once, not retried
    first, *rest = await _rows(demo, "C1")
    assert (first["status"], first["last_error"]) == (
        "cancelled",
        "rejected by slack: msg_too_long",
    )
    assert [r["status"] for r in rest] == ["sent", "sent"]
    assert [r["attempts"] for r in (first, *rest)] == [1, 1, 1]

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("set aside: rejected by slack: msg_too_long" in w for w in warnings)
    assert not any(DEFAULT_TOKEN in r.getMessage() for r in caplog.records)

    state = await demo.store.run(
        lambda tx: tx.alerts.channel_state(ChannelRef("slack", SLACK_TEAM, "C1"))
    )
    assert not state.paused and state.pending == 0
    listing = await run_as("/tally subscriptions", slack_mod("C1"))
    assert not listing.data["paused"] and listing.data["pending"] == 0


async def test_a_discord_400_is_set_aside_and_the_channel_goes_on(
    demo: Core, run_as: Run, delivery: Delivery, fake_discord: FakeDiscord
) -> None:
    await run_as("/tally subscribe nato-sg-2024", discord_mod("701"))
    fake_discord.fail_channel("701", Fault(400, times=1))
    await _record_three(run_as)
    await delivery.drain()

    _assert_rest_in_order(discord_titles(fake_discord, "701"))
    statuses = [r.status for r in fake_discord.requests_to("/channels/701/messages")]
    assert statuses == [400, 200, 200]
    first, *rest = await _rows(demo, "701")
    assert first["status"] == "cancelled"
    assert str(first["last_error"]).startswith("rejected by discord: HTTP 400 (code 50035)")
    assert [r["status"] for r in rest] == ["sent", "sent"]
    assert len({r["message_id"] for r in rest}) == 2


class ChokingSender:
    """Posts like the console, except that one alert makes it raise (a sender bug)."""

    platform = "console"

    def __init__(self, poison: str) -> None:
        self.poison = poison
        self.tries: Counter[str] = Counter()
        self.sent: list[str] = []

    async def send(self, channel: ChannelRef, reply: Reply, key: str | None = None) -> str:
        self.tries[reply.title] += 1
        if self.poison in reply.title:
            raise KeyError("embed")
        self.sent.append(reply.title)
        return f"console-{len(self.sent)}"


async def test_a_sender_that_keeps_raising_sets_the_alert_aside_after_n_attempts(
    demo: Core, run_as: Run
) -> None:
    """The reported stall: row 1 retried forever, rows 2-3 never sent. Now: reject_after tries,
    counted in the outbox so a later run goes on counting, then the rest in order."""
    await run_as("/tally subscribe nato-sg-2024", CONSOLE)
    await _record_three(run_as)
    sender = ChokingSender(poison="Lithuania")
    policy = replace(FAST, reject_after=5, run_attempts=3)
    senders: dict[str, AlertSender] = {"console": sender}

    first_run = await Deliverer(demo.store, senders, demo.dispatcher.clock, policy).drain()
    assert first_run.left_pending and sender.sent == []  # 3 tries this run, not given up on

    second_run = await Deliverer(demo.store, senders, demo.dispatcher.clock, policy).drain()
    assert second_run.rejected == 1
    poisoned = next(t for t in sender.tries if "Lithuania" in t)
    assert sender.tries[poisoned] == 5
    assert len(sender.sent) == 2
    assert "Estonia" in sender.sent[0] and "Slovakia" in sender.sent[1]
    assert all(n == 1 for t, n in sender.tries.items() if t != poisoned)  # none twice
    first, *rest = await _rows(demo, "console")
    assert first["status"] == "cancelled" and first["attempts"] == 5
    assert first["last_error"] == "rejected after 5 attempts: the console sender raised KeyError"
    assert [r["status"] for r in rest] == ["sent", "sent"]


async def test_undeliverable_alerts_are_counted_for_the_channel(
    demo: Core, run_as: Run, delivery: Delivery, fake_slack: FakeSlackApi
) -> None:
    await run_as("/tally subscribe nato-sg-2024", slack_mod("C1"))
    fake_slack.fault("C1", "error", error="invalid_blocks", times=2)
    await _record_three(run_as)
    await delivery.drain()
    await run_as("/tally unsubscribe nato-sg-2024", slack_mod("C1"))
    await run_as("/tally subscribe nato-sg-2024", slack_mod("C1"))

    state = await demo.store.run(
        lambda tx: tx.alerts.channel_state(ChannelRef("slack", SLACK_TEAM, "C1"))
    )
    assert (state.undeliverable, state.pending, state.paused) == (2, 0, False)
    assert len(slack_titles(fake_slack, "C1")) == 1
    listing = await run_as("/tally subscriptions", slack_mod("C1"))
    assert listing.data["undeliverable"] == 2
    assert "2 alert(s) could not be delivered" in " ".join(listing.lines)
