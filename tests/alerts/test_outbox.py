"""The outbox: alert rows commit with the change they announce, one per (event, subscription),
worded once (the tally at that moment), filtered by mode."""

from __future__ import annotations

import pytest

from bot.alerts.serialize import reply_from_json
from bot.app import Core
from store.thread import as_sqlite
from tests.alerts.conftest import LITHUANIA, Run, discord_mod, slack_mod


async def _rows(core: Core) -> list[dict[str, object]]:
    return await core.store.run(lambda tx: as_sqlite(tx).alerts.outbox())


async def _titles(core: Core) -> list[tuple[str, str, str]]:
    def read(tx):  # type: ignore[no-untyped-def]
        repo = tx.records
        rows = repo.db.query(
            "SELECT o.channel, o.variant, CASE o.variant WHEN 'milestone' THEN e.milestone_reply "
            "ELSE e.reply END AS body FROM alert_outbox o JOIN alert_events e "
            "ON e.id = o.event_id ORDER BY o.id"
        )
        return [(r["channel"], r["variant"], reply_from_json(r["body"]).title) for r in rows]

    return await core.store.run(read)


async def test_alert_rows_commit_with_the_declaration_or_not_at_all(
    demo: Core, run_as: Run
) -> None:
    await run_as("/tally subscribe", slack_mod("C1"))

    def boom(tx, events):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    demo.dispatcher.event_writers.append(boom)
    failed = await demo.dispatcher.run_text(LITHUANIA, slack_mod("C1"))
    assert not failed.ok and "nothing was saved" in failed.title
    demo.dispatcher.event_writers.remove(boom)
    assert await _rows(demo) == []
    position = await run_as("/tally position LT")
    assert position.data["history"] == []  # the declaration rolled back with its alerts

    await run_as(LITHUANIA)
    rows = await _rows(demo)
    assert [(r["channel"], r["status"], r["variant"]) for r in rows] == [("C1", "pending", "every")]


async def test_one_row_per_event_and_subscription(demo: Core, run_as: Run) -> None:
    await run_as("/tally subscribe", slack_mod("C1"))
    await run_as(LITHUANIA)
    rows = await _rows(demo)

    def again(tx):  # type: ignore[no-untyped-def]
        repo = tx.records
        repo.db.execute(
            "INSERT INTO alert_outbox (event_id, subscription_id, platform, workspace, channel, "
            "variant, created_at) VALUES (?, ?, 'slack', 'T', 'C1', 'every', 'now')",
            [rows[0]["event_id"], rows[0]["subscription_id"]],
        )

    with pytest.raises(Exception, match=r"(?i)unique"):
        await demo.store.run(again)


async def test_a_trackers_own_subscription_wins_over_all(demo: Core, run_as: Run) -> None:
    await run_as("/tally subscribe all", slack_mod("C1"))
    await run_as("/tally subscribe nato-sg-2024 mode=milestones", slack_mod("C1"))
    await run_as("/tally subscribe all", discord_mod("500"))
    await run_as(LITHUANIA)
    assert [(c, v) for c, v, _ in await _titles(demo)] == [("500", "every")]


async def test_milestones_name_the_change_in_outcome(demo: Core, run_as: Run) -> None:
    await run_as("/tally subscribe mode=milestones", slack_mod("CM"))
    await run_as(LITHUANIA)
    await run_as("declare SK support rutte")
    await run_as("declare TR support rutte")  # 30 of 32; Hungary still blocks
    await run_as('declare HU support rutte speaker="Viktor Orban"')  # unblocked, one to go
    await run_as("declare RO support rutte")  # all 32: decided by the rule
    await run_as('retract 34 reason="misreported"')  # Romania's was wrong: not met any more
    await run_as('tracker close nato-sg-2024 outcome="Mark Rutte appointed"')
    titles = [t for _, _, t in await _titles(demo)]
    prefix = "🏁 NATO Secretary General 2024: "
    assert titles == [
        prefix + "Unblocked: no one blocks it any more; The last holdout: 🇷🇴\u00a0Romania",
        prefix + "✅ Mark Rutte has the support the rule requires",
        prefix + "The rule is no longer met; The last holdout: 🇷🇴\u00a0Romania",
        prefix + "Decided: Mark Rutte appointed",
    ]


async def test_the_last_holdout_leaves_out_an_abstainer_under_unanimity(
    demo: Core, run_as: Run
) -> None:
    await run_as("/tally subscribe mode=milestones", slack_mod("CM"))
    for command in ("declare SK abstain", "declare TR support rutte", LITHUANIA):
        await run_as(command)
    await run_as("declare HU support rutte")  # unblocked; Slovakia abstains, Romania is left
    titles = [t for _, _, t in await _titles(demo)]
    assert titles == [
        "🏁 NATO Secretary General 2024: Unblocked: no one blocks it any more; "
        "The last holdout: 🇷🇴\u00a0Romania"
    ]


async def test_a_block_names_who_blocks_without_calling_abstainers_opponents(
    demo: Core, run_as: Run
) -> None:
    """Under a threshold (or qmv) an abstention counts against: the blockers include Slovakia,
    who abstains, so the milestone says "blocked by", not "oppose"."""
    await run_as('tracker new fund "Defence fund" kind=approval rule=threshold=31')
    await run_as("/tally subscribe fund mode=milestones", slack_mod("CB"))
    await run_as("declare HU oppose tracker=fund")  # one against: 31 of 32 still possible
    await run_as("declare SK abstain tracker=fund")  # two against: blocked
    titles = [t for _, _, t in await _titles(demo)]
    assert titles == ["🏁 Defence fund: ⛔ Blocked by Hungary and Slovakia"]


async def test_a_veto_milestone_names_the_veto_not_the_count(demo: Core, run_as: Run) -> None:
    """With veto members, an oppose by one blocks though the count is still reachable."""
    await run_as(
        'tracker new sc "Draft resolution" kind=approval body=unsc rule=threshold=9 '
        'veto="CN,FR,GB,RU,US"'
    )
    await run_as("/tally subscribe sc mode=milestones", slack_mod("CV"))
    await run_as("declare US oppose tracker=sc")
    titles = [t for _, _, t in await _titles(demo)]
    assert titles == ["🏁 Draft resolution: ⛔ Vetoed by United States"]


async def test_every_change_is_worded_with_the_tally_at_that_moment(
    demo: Core, run_as: Run
) -> None:
    await run_as("/tally subscribe", slack_mod("C1"))
    await run_as(LITHUANIA)
    await run_as('declare HU undecided date=2024-04-03 quote="We are thinking"')
    await run_as('retract 30 reason="wrong country"')
    titles = [t for _, _, t in await _titles(demo)]
    assert titles == [
        "🇱🇹\u00a0Lithuania backs Mark Rutte — 28 of 32 (needs 4 more; Hungary opposes)",
        "🇭🇺\u00a0Hungary is undecided (was: opposes Mark Rutte) — 28 of 32 (needs 4 more)",
        "↩️ Retracted: 🇱🇹\u00a0Lithuania backs Mark Rutte — now 27 of 32 (needs 5 more)",
    ]
