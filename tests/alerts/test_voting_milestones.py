"""Of those voting, a count met while members have yet to vote is only leading: no 'met'
milestone flips on and off as votes come in; it comes once everyone has voted."""

from __future__ import annotations

from bot.app import Core
from store.thread import as_sqlite
from tests.alerts.conftest import Run, slack_mod


async def _milestones(core: Core) -> list[str]:
    def read(tx):  # type: ignore[no-untyped-def]
        rows = as_sqlite(tx).records.db.query(
            "SELECT e.milestone_reply AS body FROM alert_outbox o JOIN alert_events e "
            "ON e.id = o.event_id WHERE o.variant = 'milestone' ORDER BY o.id"
        )
        return [r["body"] for r in rows]

    from bot.alerts.serialize import reply_from_json

    return [reply_from_json(b).title for b in await core.store.run(read)]


async def test_no_met_milestone_until_everyone_has_voted(demo: Core, run_as: Run) -> None:
    made = await run_as(
        'tracker new ga "GA question" kind=approval rule=majority base=voting body=unsc '
        "opened=2026-11-01"
    )
    assert made.ok, made.title
    await run_as("/tally subscribe ga mode=milestones", slack_mod("CV"))
    await run_as("declare FR support tracker=ga")  # 1 of 1 voting: leading, not met
    await run_as("declare US oppose tracker=ga")  # 1 of 2: no longer leading
    await run_as("declare GB support tracker=ga")  # 2 of 3: leading again
    early = await _milestones(demo)
    assert not [t for t in early if "support the rule requires" in t or "no longer met" in t]
    tally = await run_as("/tally ga")
    assert tally.data["outcome"] == "pending" and tally.data["provisional"] is True
    members = list(tally.data["undeclared"])
    await run_as(f"declare {','.join(members)} abstain tracker=ga")  # everyone has voted
    titles = await _milestones(demo)
    assert titles[len(early) :] == [
        "🏁 GA question: ✅ The proposal has the support the rule requires"
    ]
