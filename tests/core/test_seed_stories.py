"""Replay real, dated events through the commands and check the tally as of several dates.

Sources: the two seed stories (shared/seeds), domain-facts.md (Finland's ratifications, Hungary's
and Türkiye's steps on Sweden), and the June 2024 endgame as reported on 2024-06-18/20 (Hungary
and Slovakia endorse Rutte; Iohannis withdraws and Romania backs Rutte). Türkiye's support was
reported as given "in April" 2024: recorded as reported on 2024-04-30.
"""

from __future__ import annotations

from typing import Any

from bot.demo import DEMO_COMMANDS
from bot.replies import Reply


async def replay(run: Any, commands: list[str] | tuple[str, ...]) -> None:
    for command in commands:
        reply: Reply = await run(command)
        assert reply.ok, f"{command}: {reply.title}"


async def tally(run: Any, text: str) -> dict[str, Any]:
    reply = await run(text)
    assert reply.ok, reply.title
    return reply.data


async def test_secretary_general_race_as_reported(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)

    before = await run("/tally nato-sg-2024 as_of=2024-02-21")  # the day before it opened
    assert not before.ok and "opened on 2024-02-22" in before.title

    feb = await tally(run, "/tally nato-sg-2024 as_of=2024-02-22")
    assert sorted(feb["by_candidate"]["Mark Rutte"]) == ["DE", "FR", "GB", "US"]
    assert feb["outcome"] == "pending" and feb["needed"] == 27  # 31 allies then

    march = await tally(run, "/tally nato-sg-2024 as_of=2024-03-05")
    assert march["members_total"] == 31  # Sweden joins on 2024-03-07
    assert march["outcome"] == "blocked" and march["blocked_by"] == ["HU"]

    joined = await tally(run, "/tally nato-sg-2024 as_of=2024-03-07")
    assert joined["members_total"] == 32

    april = await tally(run, "/tally nato-sg-2024 as_of=2024-04-02")
    assert len(april["by_candidate"]["Mark Rutte"]) == 28  # "backed by 28 of 32"
    assert april["members_total"] == 32
    assert april["needed"] == 4
    assert april["outcome"] == "blocked" and april["blocked_by"] == ["HU"]
    assert april["by_stance"]["oppose"] == ["HU"]
    assert april["by_candidate"]["Klaus Iohannis"] == ["RO"]
    assert sorted(april["undeclared"]) == ["SK", "TR"]
    assert april["leader"] == "Mark Rutte"


async def test_june_endgame_change_of_position_withdrawal_and_decision(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)
    await replay(
        run,
        [
            "declare TR support rutte date=2024-04-30 confidence=reported",
            'declare HU support rutte date=2024-06-18 speaker="Prime Minister Viktor Orban" '
            'condition="no Hungarian role in NATO\'s Ukraine mission"',
            'declare SK support rutte date=2024-06-18 speaker="President Peter Pellegrini"',
            "tracker withdraw nato-sg-2024 iohannis date=2024-06-20",
            "declare RO support rutte date=2024-06-20",
        ],
    )
    june19 = await tally(run, "/tally nato-sg-2024 as_of=2024-06-19")
    assert len(june19["by_candidate"]["Mark Rutte"]) == 31
    assert june19["blocked_by"] == [] and june19["outcome"] == "pending"
    assert june19["needed"] == 1 and june19["by_candidate"]["Klaus Iohannis"] == ["RO"]

    june20 = await tally(run, "/tally nato-sg-2024 as_of=2024-06-20")
    assert june20["outcome"] == "reached" and june20["needed"] == 0
    assert june20["withdrawn"] == ["Klaus Iohannis"]

    position = await run("/tally position Hungary")
    stances = [d["stance"] for d in position.data["history"]]
    assert stances == ["support", "oppose"]  # the reversal, newest first, both kept
    assert position.data["position"]["condition"].startswith("no Hungarian role")

    closed = await run(
        '/tally tracker close nato-sg-2024 outcome="Mark Rutte appointed" date=2024-06-26'
    )
    assert closed.ok
    final = await tally(run, "/tally nato-sg-2024")
    assert final["status"] == "decided" and final["outcome"] == "reached"


FINLAND_RATIFIED = {
    "CA": "2022-07-05", "DK": "2022-07-05", "IS": "2022-07-05", "NO": "2022-07-05",
    "EE": "2022-07-06", "GB": "2022-07-06", "AL": "2022-07-07", "DE": "2022-07-08",
    "LU": "2022-07-12", "NL": "2022-07-12", "BG": "2022-07-13", "LV": "2022-07-14",
    "SI": "2022-07-14", "HR": "2022-07-15", "BE": "2022-07-20", "LT": "2022-07-20",
    "PL": "2022-07-20", "RO": "2022-07-21", "MK": "2022-07-27", "ME": "2022-07-28",
    "FR": "2022-08-02", "IT": "2022-08-03", "US": "2022-08-03", "CZ": "2022-08-27",
    "ES": "2022-09-15", "GR": "2022-09-15", "PT": "2022-09-16", "SK": "2022-09-27",
    "HU": "2023-03-27", "TR": "2023-03-30",
}  # fmt: skip


async def test_finland_accession_ratifications(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new finland-accession "Finland\'s accession to NATO" kind=approval '
            "rule=unanimity subject=FI opened=2022-07-05",
            *(
                f"declare {code} support tracker=finland-accession date={day}"
                for code, day in FINLAND_RATIFIED.items()
            ),
        ],
    )
    first = await tally(run, "/tally finland-accession as_of=2022-07-05")
    assert first["members_total"] == 30
    assert sorted(first["approved"]) == ["CA", "DK", "IS", "NO"]
    assert first["needed"] == 26

    summer = await tally(run, "/tally finland-accession as_of=2022-09-27")
    assert sorted(summer["undeclared"]) == ["HU", "TR"] and summer["needed"] == 2

    hungary = await tally(run, "/tally finland-accession as_of=2023-03-29")
    assert hungary["undeclared"] == ["TR"] and hungary["needed"] == 1

    done = await tally(run, "/tally finland-accession as_of=2023-03-30")
    assert done["outcome"] == "reached" and len(done["approved"]) == 30

    # Finland joins on 2023-04-04 but is the subject: the count stays 30.
    after = await tally(run, "/tally finland-accession as_of=2023-04-04")
    assert after["members_total"] == 30 and after["outcome"] == "reached"


async def test_sweden_accession_stages_and_membership_change(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new sweden-accession "Sweden\'s accession to NATO" kind=approval '
            'rule=unanimity subject=SE stages="parliament,signature,deposit" opened=2022-07-05',
            "declare TR support parliament tracker=sweden-accession date=2024-01-23",
            "declare TR support signature tracker=sweden-accession date=2024-01-25",
            "declare TR support deposit tracker=sweden-accession date=2024-01-26",
            "declare HU support parliament tracker=sweden-accession date=2024-02-26",
            "declare HU support signature tracker=sweden-accession date=2024-03-05 "
            'speaker="President Tamas Sulyok"',
        ],
    )
    before_finland = await tally(run, "/tally sweden-accession as_of=2023-04-03")
    assert before_finland["members_total"] == 30
    # Finland joins mid-way and becomes one more approver of Sweden's pending accession.
    with_finland = await tally(run, "/tally sweden-accession as_of=2023-04-04")
    assert with_finland["members_total"] == 31 and "FI" in with_finland["undeclared"]

    part_way = await tally(run, "/tally sweden-accession as_of=2024-03-05")
    assert part_way["approved"] == ["TR"]
    assert part_way["by_stage"] == {"parliament": [], "signature": ["HU"], "deposit": ["TR"]}
    assert part_way["needed"] == 30

    february = await tally(run, "/tally sweden-accession as_of=2024-02-27")
    assert february["by_stage"]["parliament"] == ["HU"]

    holdouts = await run("/tally holdouts sweden-accession as_of=2024-03-05")
    assert any(f.name.startswith("Part-way") and "Hungary" in f.value for f in holdouts.fields)

    # Sweden joins on 2024-03-07 but is the subject: 31 approvers still.
    joined = await tally(run, "/tally sweden-accession as_of=2024-03-07")
    assert joined["members_total"] == 31
