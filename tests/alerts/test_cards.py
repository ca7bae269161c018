"""`subscribe ... cards=on`: milestone alerts carry the tally card of the day, uploaded with
Slack's files upload v2 after the message, attached to the Discord message and shown in its
embed; other alerts and other subscriptions carry none."""

from __future__ import annotations

from bot.app import Core
from bot.pictures.card import card_layout
from bot.pictures.palette import LOOKS, CellKind
from bot.storage import Transaction
from bot.tally import compute_tally
from tests.alerts.conftest import Delivery, Run, discord_mod, slack_mod
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.pictures.conftest import PNG_SIGNATURE, hex_at, pixels

UNBLOCK = ("declare SK support rutte", "declare TR support rutte", "declare HU support rutte")


async def test_milestones_carry_the_card_where_asked(
    demo: Core,
    run_as: Run,
    delivery: Delivery,
    fake_slack: FakeSlackApi,
    fake_discord: FakeDiscord,
) -> None:
    reply = await run_as("/tally subscribe mode=milestones cards=on", slack_mod("CCARD"))
    assert reply.data["subscription"]["cards"] is True
    assert "milestones only, with the tally card" in reply.title
    await run_as("/tally subscribe mode=milestones cards=on", discord_mod("700"))
    await run_as("/tally subscribe mode=milestones", slack_mod("CPLAIN"))
    for text in UNBLOCK:
        await run_as(text)  # Hungary's support unblocks it: one milestone
    await delivery.drain()

    (uploaded,) = fake_slack.files
    assert uploaded.channel == "CCARD"
    assert uploaded.filename == "nato-sg-2024-card-2026-11-23.png"
    assert [m.text[:40] for m in fake_slack.messages_in("CCARD")] == [
        m.text[:40] for m in fake_slack.messages_in("CPLAIN")
    ]
    posts = [r for r in fake_discord.requests if r.path == "/channels/700/messages"]
    (posted,) = posts
    (sent,) = posted.files
    assert sent.filename == uploaded.filename and sent.content.startswith(PNG_SIGNATURE)
    embed = posted.body["embeds"][0]
    assert embed["image"]["url"] == f"attachment://{sent.filename}"

    # The card shows the day's tally: Hungary now in the support colour.
    def tally(tx: Transaction):  # type: ignore[no-untyped-def]
        repo = tx.records
        tracker = repo.tracker_by_slug("nato-sg-2024")
        assert tracker is not None
        day = demo.dispatcher.clock().date()
        return compute_tally(tracker, repo.body("nato"), day, repo.positions(tracker, day))

    today = await demo.store.run(tally, write=False)
    layout = card_layout(today)
    picture = pixels(uploaded.content)
    left, top, _, _ = layout.cell_box([m.code for m in today.voters].index("HU"))
    assert hex_at(picture, left + 4, top + 4) == LOOKS[CellKind.SUPPORT].fill


async def test_every_change_alerts_carry_no_card(
    demo: Core, run_as: Run, delivery: Delivery, fake_slack: FakeSlackApi
) -> None:
    await run_as("/tally subscribe", slack_mod("CEVERY"))
    await run_as("declare SK support rutte")
    await delivery.drain()
    assert fake_slack.messages_in("CEVERY") and fake_slack.files == []


async def test_cards_need_milestones(demo: Core) -> None:
    reply = await demo.dispatcher.run_text("subscribe cards=on", slack_mod("CX"))
    assert not reply.ok
    assert "cards=on puts the tally card on milestone alerts: add mode=milestones." in reply.title
    listed = await demo.dispatcher.run_text("subscriptions", slack_mod("CX"))
    assert listed.lines[0].startswith("This channel gets no alerts.")  # nothing half-made
