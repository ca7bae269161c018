"""A roll-call (`declare LT,SK,TR support rutte`) is one grouped alert per channel, delivered
through the real Slack and Discord senders to the HTTP fakes; a refused roll-call sends nothing."""

from __future__ import annotations

from bot.app import Core
from store.thread import as_sqlite
from tests.alerts.conftest import (
    CONSOLE,
    Delivery,
    Run,
    discord_mod,
    discord_titles,
    slack_mod,
    slack_titles,
)
from tests.conftest import OPERATOR
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi

GROUPED = (
    "Lithuania, Slovakia and Türkiye back Mark Rutte — 30 of 32 (needs 2 more; Hungary opposes)"
)


async def test_a_roll_call_is_one_grouped_alert_on_every_platform(
    demo: Core,
    run_as: Run,
    delivery: Delivery,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
) -> None:
    await run_as("/tally subscribe nato-sg-2024", slack_mod("CROLL"))
    await run_as("/tally subscribe nato-sg-2024 mode=milestones", slack_mod("CMILE"))
    await run_as("/tally subscribe", discord_mod("700"))
    await run_as("/tally subscribe", CONSOLE)

    kinds = "SELECT kind FROM alert_events ORDER BY id"
    earlier = await demo.store.run(lambda tx: len(list(as_sqlite(tx).records.db.query(kinds))))
    reply = await run_as(
        "/tally declare LT,SK,TR support rutte date=2024-04-02 source=https://example.org/r"
    )
    assert [d["member"] for d in reply.data["declarations"]] == ["LT", "SK", "TR"]
    events = await demo.store.run(
        lambda tx: [r["kind"] for r in as_sqlite(tx).records.db.query(kinds)]
    )
    assert events[earlier:] == ["roll-call"]
    await delivery.drain()

    assert slack_titles(fake_slack, "CROLL") == [f"⛔ {GROUPED}"]
    assert slack_titles(fake_slack, "CMILE") == []  # still blocked by Hungary: no milestone
    assert discord_titles(fake_discord, "700") == [GROUPED]
    console = delivery.scheduler.deliverer.senders["console"].text  # type: ignore[attr-defined]
    assert console.count(GROUPED) == 1
    assert "https://example.org/r" in str(fake_slack.messages_in("CROLL")[0].blocks)


async def test_a_roll_call_that_reaches_the_rule_is_a_milestone(
    demo: Core, run_as: Run, delivery: Delivery, fake_slack: FakeSlackApi
) -> None:
    await run_as("/tally subscribe nato-sg-2024 mode=milestones", slack_mod("CMILE"))
    await run_as("/tally declare RO support rutte date=2024-06-20")
    await run_as("/tally declare HU,LT,SK,TR support rutte date=2024-06-20")
    await delivery.drain()
    titles = slack_titles(fake_slack, "CMILE")
    # Romania's switch is no milestone; the roll-call meets the rule and unblocks it, in one alert
    assert titles == [
        "✅ 🏁 NATO Secretary General 2024: ✅ Mark Rutte has the support the rule requires; "
        "Unblocked: no one blocks it any more"
    ]


async def test_a_refused_roll_call_writes_no_alert(demo: Core, run_as: Run) -> None:
    await run_as("/tally subscribe nato-sg-2024", slack_mod("CROLL"))
    refused = await demo.dispatcher.run_text(
        "/tally declare LT,Atlantis,SK,LT support rutte date=2024-04-02", OPERATOR
    )
    assert not refused.ok
    assert "No member 'Atlantis' in NATO" in refused.title and "named twice" in refused.title
    rows = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert [r for r in rows if r["channel"] == "CROLL"] == []
