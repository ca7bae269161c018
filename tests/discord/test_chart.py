"""/tally chart in Discord: both PNGs attached to the answer, privately like every read unless
public:true; a deferred answer attaches them to the edited message."""

from __future__ import annotations

from bot.demo import DEMO_TRACKER
from tests.discord.conftest import Bot
from tests.discord.payloads import interaction, option
from tests.pictures.conftest import PNG_SIGNATURE, pixels

EPHEMERAL = 64


async def test_chart_attaches_the_card_and_the_timeline(bot: Bot) -> None:
    await bot.run(interaction(("chart",), [option("tracker", DEMO_TRACKER)]))

    callback = bot.fake.callbacks[-1]
    card, timeline = callback["files"]
    assert card.filename == "nato-sg-2024-card-2026-11-23.png"
    assert timeline.filename == "nato-sg-2024-timeline-2026-11-23.png"
    for sent in (card, timeline):
        assert sent.content.startswith(PNG_SIGNATURE)
        assert pixels(sent.content).shape[1] == 1000
    data = callback["body"]["data"]
    assert [a["filename"] for a in data["attachments"]] == [card.filename, timeline.filename]
    assert data["flags"] & EPHEMERAL  # a read: the asker's own unless shared
    assert "Charts — NATO Secretary General 2024" in data["embeds"][0]["title"]
    assert data["embeds"][0]["image"]["url"] == f"attachment://{card.filename}"  # in the embed


async def test_public_chart_goes_to_the_channel(bot: Bot) -> None:
    await bot.run(interaction(("chart",), [option("public", True)]))

    callback = bot.fake.callbacks[-1]
    assert len(callback["files"]) == 2
    assert not callback["body"]["data"].get("flags", 0) & EPHEMERAL


async def test_a_slow_chart_is_attached_to_the_edited_answer(bot: Bot) -> None:
    bot.client.handler.defer_after = 0  # type: ignore[union-attr]
    await bot.run(interaction(("chart",), [option("as_of", "2024-03-06")]))

    assert bot.last_callback()["type"] == 5
    edit = bot.fake.webhook_calls[-1]
    assert edit["method"] == "PATCH"
    names = [f.filename for f in edit["files"]]
    assert names == ["nato-sg-2024-card-2024-03-06.png", "nato-sg-2024-timeline-2024-03-06.png"]
    assert all(f.content.startswith(PNG_SIGNATURE) for f in edit["files"])
