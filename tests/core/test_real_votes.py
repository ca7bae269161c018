"""Real votes replayed through the commands with the shipped bodies (UN Security Council, EU
Council), and the rule options of tracker new / edit, export and import."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.console.render import render_text
from bot.app import Core
from bot.errors import UserError
from bot.member_file import parse_members_csv
from bot.members import shipped_body
from tallybot.cli import main
from tests.conftest import READER

UNSC = shipped_body("unsc")
P5 = "CN,FR,GB,RU,US"


@pytest.mark.parametrize("year", range(2015, 2027))
def test_the_security_council_has_fifteen_members_every_day_2015_2026(year: int) -> None:
    for day in (date(year, 1, 1), date(year, 6, 30), date(year, 12, 31)):
        members = UNSC.members_on(day)
        assert len(members) == 15, (day, [m.code for m in members])
        assert {"CN", "FR", "GB", "RU", "US"} <= {m.code for m in members}


def test_japan_serves_two_terms_and_not_between() -> None:
    japan = UNSC.get("JP")
    assert [japan.is_member_on(date(y, 6, 1)) for y in range(2015, 2026)] == [
        False, True, True, False, False, False, False, False, True, True, False,
    ]  # fmt: skip
    assert japan.break_on(date(2020, 1, 1)) == (date(2018, 1, 1), date(2023, 1, 1))
    # Italy and the Netherlands split the 2017-2018 seat.
    assert UNSC.get("IT").is_member_on(date(2017, 12, 31))
    assert not UNSC.get("IT").is_member_on(date(2018, 1, 1))
    assert UNSC.get("NL").is_member_on(date(2018, 1, 1))


def test_a_member_file_lists_one_line_per_term_and_refuses_overlaps() -> None:
    rows = [
        (2, {"code": "JP", "name": "Japan", "joined": "2016-01-01", "left": "2018-01-01"}),
        (3, {"code": "JP", "name": "Japan", "joined": "2023-01-01", "left": "2025-01-01"}),
    ]
    (japan,) = parse_members_csv(rows, "terms.csv")
    assert (japan.joined, japan.left) == (date(2016, 1, 1), date(2025, 1, 1))
    assert japan.breaks == ((date(2018, 1, 1), date(2023, 1, 1)),)
    overlapping = [*rows, (4, {"code": "JP", "name": "Japan", "joined": "2024-01-01"})]
    with pytest.raises(UserError) as raised:
        parse_members_csv(overlapping, "terms.csv")
    assert "line 4: this term of Japan overlaps line 3" in str(raised.value)


GAZA_2023_FOR = "AL,BR,CN,EC,FR,GA,GH,JP,MT,MZ,RU,CH,AE"
RES_2728_FOR = "DZ,CN,EC,FR,GY,JP,MT,MZ,KR,RU,SL,SI,CH,GB"


async def test_8_december_2023_gaza_ceasefire_draft_vetoed_by_the_united_states(
    run: Any,
) -> None:
    """S/2023/970: 13 for, United States against, United Kingdom abstaining."""
    made = await run(
        'tracker new gaza-2023 "Gaza ceasefire draft S/2023/970" kind=approval body=unsc '
        f'rule=threshold=9 veto="{P5}" opened=2023-12-08'
    )
    assert made.ok, made.title
    assert made.data["rule"] == "threshold=9;veto=CN,FR,GB,RU,US"
    assert (await run(f"declare {GAZA_2023_FOR} support date=2023-12-08")).ok
    assert (await run("declare US oppose date=2023-12-08")).ok
    assert (await run("declare GB abstain date=2023-12-08")).ok
    assert (
        await run('tracker close gaza-2023 outcome="Vetoed" status=abandoned date=2023-12-08')
    ).ok
    tally = await run("/tally gaza-2023")
    data = tally.data
    assert (data["outcome"], data["supporting"], data["members_total"]) == ("blocked", 13, 15)
    assert data["vetoed_by"] == ["US"] and data["base"] == {"of": "members", "count": 15}
    assert len(data["participants"]) == 15 and data["not_taking_part"] == []
    assert "9 of 15 needed and no veto: 13 for; vetoed by United States" in tally.lines[0], (
        tally.lines[0]
    )
    assert "a veto (CN, FR, GB, RU, US) blocks whatever the count" in render_text(tally)


async def test_resolution_2728_of_25_march_2024_adopted_with_the_united_states_abstaining(
    run: Any,
) -> None:
    """S/RES/2728 (2024): 14 for, United States abstaining: an abstention is no veto."""
    assert (
        await run(
            'tracker new res-2728 "Resolution 2728 (2024)" kind=approval body=unsc '
            f'rule=threshold=9 veto="{P5}" opened=2024-03-25'
        )
    ).ok
    assert (await run(f"declare {RES_2728_FOR} support date=2024-03-25")).ok
    assert (await run("declare US abstain date=2024-03-25")).ok
    assert (await run('tracker close res-2728 outcome="Adopted" date=2024-03-25')).ok
    tally = await run("/tally res-2728")
    assert tally.data["outcome"] == "reached" and tally.data["vetoed_by"] == []
    assert tally.data["supporting"] == 14
    assert "✅ the rule is met (9 of 15 needed and no veto: 14 for, no veto)" in tally.lines[0]


async def test_a_member_between_terms_or_off_the_council_cannot_declare(run: Any) -> None:
    assert (
        await run(f'tracker new q2020 "Q" kind=approval body=unsc rule=threshold=9 veto="{P5}" '
                  "opened=2020-01-01")
    ).ok  # fmt: skip
    refused = await run("declare JP support date=2020-06-01")
    assert not refused.ok
    assert "Japan was not a member of the UN Security Council from 2018-01-01 to 2023-01-01" in (
        refused.title
    )


# An EU Council vote in justice and home affairs, where Denmark does not take part (Protocol
# No 22): 22 of the 26 participants in favour, Germany, France, Lithuania and Cyprus against.
# Constructed on the Council's 2025 population figures (not a recorded vote): the supporters
# hold 65.03% of the participants' population, 64.17% of the whole EU's.
JHA_AGAINST = "DE,FR,LT,CY"


async def test_an_excluded_member_changes_an_eu_council_result(run: Any) -> None:
    eu = shipped_body("eu")
    support = [m.code for m in eu.members_on(date(2025, 6, 1))]
    support = [c for c in support if c not in {"DK", *JHA_AGAINST.split(",")}]
    for slug, excluded in (("jha-2025", ' excluded="Denmark"'), ("all-27", "")):
        made = await run(
            f'tracker new {slug} "Asylum rules" kind=approval body=eu rule=qmv '
            f"opened=2025-06-01{excluded}"
        )
        assert made.ok, made.title
        declared = await run(f"declare {','.join(support)} support date=2025-06-02 tracker={slug}")
        assert declared.ok, declared.title
        assert (await run(f"declare {JHA_AGAINST} oppose date=2025-06-02 tracker={slug}")).ok
    # Denmark did not vote: taking part, it counts against (an abstention under qmv) and
    # makes a blocking minority of five with 35.8%.
    assert (await run("declare DK abstain date=2025-06-02 tracker=all-27")).ok
    refused = await run("declare DK support date=2025-06-02 tracker=jha-2025")
    assert not refused.ok and "Denmark does not take part in jha-2025" in refused.title
    position = await run("/tally position DK tracker=jha-2025")
    assert any("does not take part in jha-2025 (rule qmv;excluded=DK)" in line
               for line in position.lines), position.lines  # fmt: skip
    without = await run("/tally jha-2025 as_of=2025-06-02")
    assert without.data["outcome"] == "reached", without.lines
    assert without.data["not_taking_part"] == ["DK"] and without.data["members_total"] == 26
    assert without.data["population_share"] == pytest.approx(0.6503, abs=1e-4)
    assert "Not taking part: 🇩🇰\u00a0Denmark" in render_text(without)
    assert (
        "qualified majority (Art. 16(4) TEU, 238(3) TFEU): 15 of 26 members and 65% of "
        "population; 4 members with over 35% (the fewest holding it, plus one) block"
    ) in render_text(without)
    with_dk = await run("/tally all-27 as_of=2025-06-02")
    assert with_dk.data["outcome"] == "blocked"
    assert with_dk.data["blocked_by"] == ["CY", "DE", "DK", "FR", "LT"]


async def test_eulex_kosovo_2008_cyprus_constructive_abstention(run: Any) -> None:
    """Joint Action 2008/124/CFSP (EULEX Kosovo), 4 February 2008: Cyprus abstained
    constructively (Art. 23(1) TEU then, Art. 31(1) now); the action was adopted."""
    assert (
        await run(
            'tracker new eulex "EULEX Kosovo" kind=approval body=eu rule=unanimity '
            "abstention=constructive opened=2008-02-04"
        )
    ).ok
    eu = shipped_body("eu")
    others = [m.code for m in eu.members_on(date(2008, 2, 4)) if m.code != "CY"]
    assert (await run(f"declare {','.join(others)} support date=2008-02-04")).ok
    assert (await run("declare CY abstain date=2008-02-04")).ok
    assert (await run('tracker close eulex outcome="Adopted" date=2008-02-04')).ok
    tally = await run("/tally eulex")
    assert tally.data["outcome"] == "reached"
    assert "unanimity with constructive abstention (Art. 31(1) TEU)" in render_text(tally)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (
            'tracker new q1 "Q" kind=approval body=eu rule=qmv veto="FR"',
            "veto= goes with majority, two-thirds or threshold=N, not with qmv",
        ),
        (
            'tracker new q1 "Q" kind=approval rule=unanimity abstention=constructive',
            "abstention=constructive counts a third of the population (Art. 31(1) TEU), and "
            "NATO has no population figures.",
        ),
        (
            'tracker new q1 "Q" kind=approval body=eu rule=qmv excluded="DK,Narnia"',
            "excluded=: No member 'Narnia' in the EU Council.",
        ),
        (
            'tracker new q1 "Q" kind=approval body=unsc rule=threshold=9 veto="CN,AT"',
            "veto=: Austria is not a member of the UN Security Council.",
        ),
        (
            'tracker new q1 "Q" kind=approval body=eu rule=threshold=20 '
            'excluded="DK,IE,PL,HU,SK,CZ,AT,SE"',
            "threshold=20 can never be met: EU Council has at most 19 members taking part at a "
            "time.",
        ),
        (
            'tracker new q1 "Q" kind=approval body=eu rule=qmv base=voting',
            "base=voting goes with majority, two-thirds or threshold=N, not with qmv",
        ),
    ],
)
async def test_tracker_new_refuses_nonsense_in_one_sentence(
    core: Core, run: Any, command: str, said: str
) -> None:
    reply = await run(command)
    assert not reply.ok and said in reply.title, reply.title
    assert not (await run("/tally trackers")).data["trackers"]


async def test_tracker_edit_sets_options_and_carries_them_over(run: Any) -> None:
    assert (
        await run('tracker new sc "Q" kind=approval body=unsc rule=majority opened=2024-03-25')
    ).ok
    edited = await run(f'tracker edit sc rule=threshold=9 veto="{P5}" base=voting')
    assert edited.ok, edited.title
    assert edited.data["changed"]["rule"] == [
        "majority",
        "threshold=9;veto=CN,FR,GB,RU,US;base=voting",
    ]
    # rule= alone changes the kind and keeps the options.
    kept = await run("tracker edit sc rule=two-thirds")
    assert kept.data["changed"]["rule"][1] == "two-thirds;veto=CN,FR,GB,RU,US;base=voting"
    refused = await run("tracker edit sc rule=unanimity")
    assert not refused.ok
    assert "give veto=none base=none to drop it" in refused.title, refused.title
    dropped = await run("tracker edit sc veto=none")
    assert dropped.data["changed"]["rule"][1] == "two-thirds;base=voting"
    help_rules = await run("help rules", READER)
    assert help_rules.ok and "rqmv" in help_rules.data["rules"]
    assert any("Art. 238(2) TFEU" in item for f in help_rules.fields for item in f.items)


def test_export_and_import_keep_the_whole_rule(tmp_path: Path) -> None:
    source, fresh, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "t.json"
    rule = "threshold=9;veto=CN,FR,GB,RU,US;base=voting"
    command = f'/tally tracker new sc "Q" kind=approval body=unsc rule="{rule}"'
    assert main(["--db", str(source), "exec", command]) == 0
    assert main(["--db", str(source), "export", "sc", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["tracker"]["rule"] == rule
    assert main(["--db", str(fresh), "import", str(out)]) == 0
    again = tmp_path / "again.json"
    assert main(["--db", str(fresh), "export", "sc", "--out", str(again)]) == 0
    assert json.loads(again.read_text())["tracker"]["rule"] == rule
    document = json.loads(out.read_text())
    document["tracker"]["rule"] = "threshold=9;veto=US;excluded=US"
    out.write_text(json.dumps(document))
    assert main(["--db", str(tmp_path / "c.db"), "import", str(out)]) != 0
