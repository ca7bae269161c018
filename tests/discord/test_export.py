"""/tally export in Discord: the file is attached to the interaction response or its follow-up,
sent by discord.py as multipart/form-data and read back by the fake as bytes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.demo import DEMO_TRACKER
from bot.domain import NewDeclaration, Stance
from bot.storage import Transaction
from store.thread import as_sqlite
from tests.discord.conftest import Bot
from tests.discord.payloads import EVERYDAY, READER_ID, interaction, option

EPHEMERAL = 64


async def test_export_is_attached_to_the_response(bot: Bot) -> None:
    await bot.run(interaction(("export",), [option("tracker", DEMO_TRACKER)]))

    callback = bot.fake.callbacks[-1]
    (sent,) = callback["files"]
    assert sent.filename == "nato-sg-2024-2026-11-23.json"
    document = json.loads(sent.content)
    assert document["tracker"]["slug"] == DEMO_TRACKER
    count = await bot.core.store.run(lambda tx: tx.records.count_declarations(1))
    assert len(document["declarations"]) == count
    body = callback["body"]
    assert body["type"] == 4
    assert body["data"]["attachments"][0]["filename"] == sent.filename
    assert not body["data"].get("flags", 0) & EPHEMERAL
    assert f"{count} declarations" in body["data"]["embeds"][0]["title"]


async def test_a_slow_export_follows_up_with_the_file(bot: Bot) -> None:
    bot.client.handler.defer_after = 0  # type: ignore[union-attr]
    await bot.run(interaction(("export",), [option("format", "csv")]))

    assert bot.last_callback()["type"] == 5
    note, post = bot.fake.webhook_calls[-2:]
    assert note["method"] == "PATCH" and not note["files"]
    (sent,) = post["files"]
    assert post["method"] == "POST" and sent.filename.endswith(".csv")
    text = sent.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,date,member code,member name,stance")
    assert "Szijjártó" in text or "HU,Hungary,oppose" in text


async def test_readers_get_no_file(bot: Bot) -> None:
    await bot.run(interaction(("export",), [], user_id=READER_ID, permissions=EVERYDAY))

    callback = bot.fake.callbacks[-1]
    assert callback["files"] == []
    assert callback["body"]["data"]["flags"] & EPHEMERAL


async def test_a_file_over_discords_limit_gets_a_sentence_instead(bot: Bot) -> None:
    def grow(tx: Transaction) -> None:
        repo = as_sqlite(tx).records
        tracker = repo.tracker_by_slug(DEMO_TRACKER)
        assert tracker is not None
        repo.add_declarations(
            NewDeclaration(
                tracker_id=tracker.id,
                member="HU",
                stance=Stance.OPPOSE,
                made_on=date(2024, 4, 1),
                recorded_by="bulk",
                recorded_at=datetime(2026, 11, 23, tzinfo=UTC),
                candidate_id=tracker.candidates[0].id,
                quote="x" * 1000,
            )
            for _ in range(12_000)
        )

    await bot.core.store.run(grow)
    await bot.run(interaction(("export",), []))

    callback = bot.fake.callbacks[-1]
    assert callback["files"] == []
    title = callback["body"]["data"]["embeds"][0]["title"]
    assert "over Discord's 10 MiB limit" in title and "tallybot export" in title
