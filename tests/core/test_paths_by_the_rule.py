"""Findings of an adversarial tester on /tally paths and whatif, replayed: every path is
checked by the rule as applied (vetoes, constructive abstention, base=voting), a blocked
headline says by what, a rule of those voting is only 'leading' while members have yet to
vote, and a threshold above the body's size is refused."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.members import shipped_body

P5 = "CN,FR,GB,RU,US"
GAZA_2023_FOR = "AL,BR,CN,EC,FR,GA,GH,JP,MT,MZ,RU,CH,AE"
EU_BIG_NINE = "DE,FR,IT,ES,PL,RO,NL,BE,CZ"
GAZA_DRAFT = [
    'tracker new gaza-2023 "Gaza ceasefire draft" kind=approval body=unsc '
    f'rule=threshold=9 veto="{P5}" opened=2023-12-08',
    f"declare {GAZA_2023_FOR} support date=2023-12-08",
    "declare US oppose date=2023-12-08",
    "declare GB abstain date=2023-12-08",
    'tracker close gaza-2023 outcome="Vetoed" status=abandoned date=2023-12-08',
]
"""S/2023/970 of 8 December 2023: 13 for, the United States against, the UK abstaining."""


async def replay(run: Any, commands: list[str]) -> None:
    for text in commands:
        reply = await run(text)
        assert reply.ok, (text, reply.title)


async def test_paths_keep_to_the_veto(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new sc1 "Draft" kind=approval body=unsc rule=threshold=9 '
            f'veto="{P5}" opened=2024-03-01',
            "declare US,RU oppose tracker=sc1 date=2024-03-02",
        ],
    )
    reply = await run("paths sc1 as_of=2024-03-03")
    text = "\n".join(reply.lines)
    assert "Any 9 of these" not in text and "would meet the rule" not in text
    assert "Blocked by the veto of Russia and United States while they oppose" in text
    assert reply.data["must"] == ["RU", "US"]
    assert reply.data["size"] == 9
    (way,) = reply.data["ways"]
    assert {"take": 2, "of": ["RU", "US"]} in way
    whatif = await run("whatif US support RU support tracker=sc1 as_of=2024-03-03")
    assert whatif.data["after"]["outcome"] == "pending"  # not blocked once they turn


async def test_paths_on_the_closed_vetoed_gaza_draft(run: Any) -> None:
    await replay(run, GAZA_DRAFT)
    reply = await run("paths gaza-2023")
    text = "\n".join(reply.lines)
    assert "already met" not in text
    assert "Blocked by the veto of United States while it opposes" in text
    assert "This tracker is abandoned: these paths are hypothetical." in text
    assert reply.data["size"] == 1 and reply.data["sets"] == [["US"]]


async def test_paths_and_whatif_under_constructive_abstention(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new cfsp "CFSP" kind=approval body=eu rule=unanimity '
            "abstention=constructive opened=2024-03-01",
            f"declare {EU_BIG_NINE} abstain tracker=cfsp date=2024-03-02",
        ],
    )
    reply = await run("paths cfsp as_of=2024-03-03")
    # 18 must agree and one of the nine abstainers must come round: 8 of 27 is under a third.
    assert reply.data["size"] == 19
    for codes in reply.data["sets"]:
        check = await run(f"whatif {' support '.join(codes)} support tracker=cfsp as_of=2024-03-03")
        assert check.data["after"]["outcome"] == "reached", check.lines
    whatif = await run("whatif SE support tracker=cfsp as_of=2024-03-03")
    then = whatif.lines[2]
    assert "needs 0 more" not in then and "needs 17 more" not in then
    assert "⛔ blocked: constructive abstention: " in then and "(Art. 31(1) TEU)" in then


async def test_paths_and_the_count_of_those_voting(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new ga1 "GA" kind=approval body=unsc rule=two-thirds base=voting '
            "opened=2024-03-01",
            "declare FR support tracker=ga1 date=2024-03-02",
            "declare US,RU,CN oppose tracker=ga1 date=2024-03-02",
        ],
    )
    # 1 for, 3 against: two opponents turning make 3 of 4; undeclared members would each
    # enlarge the base (1 + 5 of 9 is short of 6), so the smallest sets are two opponents.
    reply = await run("paths ga1 as_of=2024-03-03")
    assert reply.data["size"] == 2
    assert reply.data["ways"] == [[{"take": 2, "of": ["CN", "RU", "US"]}]]
    tally = await run("/tally ga1 as_of=2024-03-03")
    assert tally.data["needed"] == 2 and "needs 2 more" in tally.lines[0]


async def test_of_those_voting_leads_until_everyone_has_voted(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new ga2 "GA" kind=approval body=unsc rule=two-thirds base=voting '
            "opened=2024-03-01",
            "declare FR support tracker=ga2 date=2024-03-02",
        ],
    )
    tally = await run("/tally ga2 as_of=2024-03-02")
    assert tally.data["outcome"] == "pending" and tally.data["provisional"] is True
    assert "the rule is met" not in tally.lines[0]
    assert "leading so far: met among those voting, but 14 have not voted" in tally.lines[0]
    members = [m.code for m in shipped_body("unsc").members_on(date(2024, 3, 2))]
    rest = [c for c in members if c != "FR"]
    await replay(run, [f"declare {','.join(rest)} abstain tracker=ga2 date=2024-03-03"])
    final = await run("/tally ga2 as_of=2024-03-03")
    assert final.data["outcome"] == "reached" and final.data["provisional"] is False
    assert "✅ the rule is met" in final.lines[0]


async def test_a_threshold_above_the_body_is_refused(run: Any) -> None:
    reply = await run('tracker new q1 "Q" kind=approval rule=threshold=20 body=unsc')
    assert not reply.ok
    assert "threshold=20 can never be met: UN Security Council has at most 15 members" in (
        reply.title
    )
    assert (await run('tracker new q1 "Q" kind=approval rule=threshold=15 body=unsc')).ok


async def test_qmv_deemed_attained_says_why(run: Any) -> None:
    eu = shipped_body("eu")
    big = sorted(eu.members, key=lambda m: -(m.population or 0))
    against = [m.code for m in big[:3]]  # three: one short of a blocking minority
    others = [m.code for m in big[3:]]
    await replay(
        run,
        [
            'tracker new eu-d "Deemed" kind=approval rule=qmv body=eu opened=2025-01-01',
            f"declare {','.join(against)} oppose tracker=eu-d date=2025-01-02",
            f"declare {','.join(others)} support tracker=eu-d date=2025-01-02",
        ],
    )
    tally = await run("/tally eu-d")
    assert tally.data["outcome"] == "reached"
    assert (
        "✅ the rule is met: fewer than 4 members oppose or abstain, so no blocking minority: "
        "the qualified majority is deemed attained (Art. 16(4) TEU, Art. 238(3)(a) TFEU)"
    ) in tally.lines[0]
    paths = await run("paths eu-d")
    assert paths.data["size"] == 0
    assert "already met" in paths.lines[1] and "more member" not in "\n".join(paths.lines)


async def test_qmv_text_and_json_say_the_same_count(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new eu-s "Small" kind=approval rule=qmv body=eu opened=2025-01-01',
            "declare MT,LU support tracker=eu-s date=2025-01-02",
            "declare DE,FR oppose tracker=eu-s date=2025-01-02",
        ],
    )
    tally = await run("/tally eu-s")
    data = tally.data
    # 13 more members meet 55%, but without Germany and France no 13 reach 65% of population:
    # `needed` counts the fewest further supporters meeting both, the text says so.
    assert data["members_needed"] == 13 and data["needed"] > 13
    assert (
        f"needs {data['needed']} more to meet both conditions: 13 more members and "
        in (tally.lines[0])
    )


async def test_a_future_as_of_is_refused_in_chat(run: Any) -> None:
    await replay(run, ['tracker new q1 "Q" kind=approval rule=majority opened=2024-01-01'])
    for text in ("/tally q1 as_of=9999-12-31", "paths q1 as_of=9999-12-31"):
        reply = await run(text)
        assert not reply.ok
        assert "as_of=9999-12-31 is in the future: as_of is a calendar date up to today" in (
            reply.title
        )


async def test_whatif_wording_on_an_approval(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new jha "JHA" kind=approval rule=qmv body=eu opened=2024-03-01',
            'tracker new other "Other" kind=approval rule=qmv body=eu opened=2024-03-01',
        ],
    )
    trailing = await run("/tally whatif DE support jha")
    assert trailing.ok, trailing.title
    assert trailing.data["tracker"] == "jha"
    assert trailing.lines[0] == "If Germany approves:"  # the tally's own verb
    leaning = await run("/tally whatif DE lean-support tracker=jha")
    assert leaning.lines[0] == "If Germany leans towards approving:"
    wrong = await run("/tally whatif DE support PL")
    assert not wrong.ok and "name the tracker with tracker=SLUG" in wrong.title
