"""A declaration reaches every subscribed channel, on Slack, Discord and the console, worded
for its mode, through the real senders to the local fakes."""

from __future__ import annotations

from bot.app import Core
from store.thread import as_sqlite
from tests.alerts.conftest import (
    CONSOLE,
    LITHUANIA,
    Delivery,
    Run,
    discord_mod,
    discord_titles,
    slack_mod,
    slack_titles,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi

LT_ALERT = "🇱🇹\u00a0Lithuania backs Mark Rutte — 28 of 32 (needs 4 more; Hungary opposes)"


async def test_a_declaration_reaches_every_subscribed_channel_on_both_platforms(
    demo: Core,
    run_as: Run,
    delivery: Delivery,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
) -> None:
    await run_as("/tally subscribe nato-sg-2024", slack_mod("CALERTS"))
    await run_as("/tally subscribe all", slack_mod("CALL"))
    await run_as("/tally subscribe nato-sg-2024 mode=every", discord_mod("500"))
    await run_as("/tally subscribe", discord_mod("501"))
    await run_as("/tally subscribe", CONSOLE)

    await run_as(LITHUANIA)
    await delivery.drain()

    for channel in ("CALERTS", "CALL"):
        assert slack_titles(fake_slack, channel) == [f"⛔ {LT_ALERT}"]
    for channel in ("500", "501"):
        assert discord_titles(fake_discord, channel) == [LT_ALERT]
    console = delivery.scheduler.deliverer.senders["console"].text  # type: ignore[attr-defined]
    assert LT_ALERT in console
    # Source and quote travel with it, on every platform.
    slack_body = str(fake_slack.messages_in("CALERTS")[0].blocks)
    discord_body = fake_discord.messages[0].payload["embeds"][0]["description"]
    for body in (slack_body, discord_body.replace("\\", ""), console):
        assert "one of those politicians who recognised the Russian threat" in body
        assert "curacaochronicle.com" in body
    # Every row is marked sent with the platform's own message id.
    rows = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert len(rows) == 5
    assert all(row["status"] == "sent" and row["message_id"] for row in rows)
    slack_ts = {m.ts for m in fake_slack.messages}
    discord_ids = {m.id for m in fake_discord.messages}
    by_platform = {row["platform"]: set() for row in rows}
    for row in rows:
        by_platform[row["platform"]].add(row["message_id"])
    assert by_platform["slack"] == slack_ts
    assert by_platform["discord"] == discord_ids


async def test_modes_filter_what_each_channel_gets(
    run_as: Run,
    delivery: Delivery,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
) -> None:
    await run_as("/tally subscribe nato-sg-2024 mode=every", slack_mod("CEVERY"))
    await run_as("/tally subscribe nato-sg-2024 mode=milestones", slack_mod("CMILE"))
    await run_as("/tally subscribe nato-sg-2024 mode=digest at=08:00", slack_mod("CDIGEST"))
    await run_as("/tally subscribe all mode=milestones", discord_mod("600"))

    await run_as(LITHUANIA)  # not a milestone: still blocked, 4 more needed
    await run_as('/tally declare HU support rutte quote="We changed our mind"')  # unblocked
    await run_as("/tally tracker withdraw nato-sg-2024 Klaus Iohannis")  # a milestone
    await delivery.drain()

    every = slack_titles(fake_slack, "CEVERY")
    assert [t.split(" — ")[0] for t in every] == [
        "⛔ 🇱🇹\u00a0Lithuania backs Mark Rutte",
        "⏳ 🇭🇺\u00a0Hungary backs Mark Rutte (was: opposes Mark Rutte)",
        "⏳ Klaus Iohannis withdrew from NATO Secretary General 2024",
    ]
    milestones = slack_titles(fake_slack, "CMILE")
    assert milestones == [
        "⏳ 🏁 NATO Secretary General 2024: Unblocked: no one blocks it any more",
        "⏳ 🏁 NATO Secretary General 2024: Klaus Iohannis withdrew",
    ]
    assert [t.replace("⏳ ", "") for t in milestones] == discord_titles(fake_discord, "600")
    assert slack_titles(fake_slack, "CDIGEST") == []  # digests come at their time only
