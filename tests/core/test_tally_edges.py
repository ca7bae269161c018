"""The count and its wording at the edges real trackers hit (issue 8, wrong answers 1-3, 5, 6):
each test replays the reported case through the ordinary commands on a real SQLite file."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from adapters.console.render import render_text
from bot.app import Core
from bot.demo import DEMO_COMMANDS
from bot.members import DATA_DIR, shipped_body
from store.thread import as_sqlite

from .test_cli import tallybot
from .test_seed_stories import replay

# domain-facts.md: the date each ally completed ratification of Finland's accession protocol.
FINLAND_RATIFICATIONS = """
CA 2022-07-05  DK 2022-07-05  IS 2022-07-05  NO 2022-07-05  EE 2022-07-06  GB 2022-07-06
AL 2022-07-07  DE 2022-07-08  LU 2022-07-12  NL 2022-07-12  BG 2022-07-13  LV 2022-07-14
SI 2022-07-14  HR 2022-07-15  BE 2022-07-20  LT 2022-07-20  PL 2022-07-20  RO 2022-07-21
MK 2022-07-27  ME 2022-07-28  FR 2022-08-02  IT 2022-08-03  US 2022-08-03  CZ 2022-08-27
ES 2022-09-15  GR 2022-09-15  PT 2022-09-16  SK 2022-09-27  HU 2023-03-27  TR 2023-03-30
"""


def finland_commands() -> list[str]:
    words = FINLAND_RATIFICATIONS.split()
    pairs = list(zip(words[::2], words[1::2], strict=True))
    assert len(pairs) == 30
    return [
        'tracker new fi-accession "Finland joins NATO" kind=approval rule=unanimity subject=FI '
        "opened=2022-05-18",
        *(f"declare {code} support date={day}" for code, day in pairs),
        'tracker close fi-accession outcome="Finland joined NATO" date=2023-04-04',
    ]


@pytest.fixture
async def demo(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)


# 1. A closed tracker read later -------------------------------------------------------------


async def test_a_closed_tracker_reads_as_of_its_closing_day(run: Any) -> None:
    await replay(run, finland_commands())
    reply = await run("/tally fi-accession")  # the clock says 2026: Sweden has joined since
    assert reply.ok, reply.title
    assert reply.data["as_of"] == "2023-04-04"
    assert reply.data["members_total"] == 30 and reply.data["supporting"] == 30
    assert reply.data["outcome"] == "reached" and reply.data["undeclared"] == []
    assert reply.lines[0] == "Approved by 30 of 30 · ✅ the rule is met"
    assert "Sweden" not in render_text(reply)


async def test_members_who_joined_after_the_close_never_count(run: Any) -> None:
    await replay(run, finland_commands())
    later = (await run("/tally fi-accession as_of=2025-01-01")).data
    assert later["members_total"] == 30 and later["outcome"] == "reached"
    assert "SE" not in [m["code"] for m in later["members"]]
    holdouts = await run("holdouts fi-accession")
    assert holdouts.data["holdouts"] == [] and holdouts.data["as_of"] == "2023-04-04"
    position = await run("position SE fi-accession")
    assert position.lines[0] == (
        "As of 2023-04-04: 🇸🇪\u00a0Sweden joined on 2024-03-07, after fi-accession closed on "
        "2023-04-04: it does not count"
    )
    later_position = await run("position SE fi-accession as_of=2025-01-01")
    assert later_position.lines[0].startswith("As of 2025-01-01: 🇸🇪\u00a0Sweden joined on")


async def test_writes_to_a_closed_tracker_report_the_tally_at_its_close(run: Any) -> None:
    await replay(run, finland_commands())
    turkiye = (await run("history fi-accession member=TR")).data["declarations"][0]["id"]
    retracted = await run(f'retract {turkiye} reason="wrong date"')
    assert retracted.lines[1] == (
        "As of 2023-04-04: Approved by 29 of 30 · decided on 2023-04-04, the rule not met"
    )
    again = await run("declare TR support tracker=fi-accession date=2023-03-30")
    assert again.ok, again.title
    assert again.lines[-1] == "As of 2023-04-04: Approved by 30 of 30 · ✅ the rule is met"
    assert again.data["tally"]["members_total"] == 30


async def test_a_closed_tracker_still_reads_at_an_earlier_date(run: Any) -> None:
    await replay(run, finland_commands())
    before_turkiye = (await run("/tally fi-accession as_of=2023-03-29")).data
    assert before_turkiye["supporting"] == 29 and before_turkiye["needed"] == 1
    assert before_turkiye["undeclared"] == ["TR"]


# 2. Holdouts of a selection ---------------------------------------------------------------------


async def test_holdouts_include_members_backing_a_rival(run: Any, demo: None) -> None:
    reply = await run("/tally holdouts")
    groups = {field.name: field.items for field in reply.fields}
    assert groups["Backing a rival (1)"] == ("🇷🇴\u00a0Romania (Klaus Iohannis)",)
    assert groups["Opposing (1)"] == ("🇭🇺\u00a0Hungary",)
    assert groups["Not declared (2)"] == ("🇸🇰\u00a0Slovakia", "🇹🇷\u00a0Türkiye")
    assert reply.data["holdout_groups"] == {
        "oppose": ["HU"],
        "rival": ["RO"],
        "undeclared": ["SK", "TR"],
    }
    assert reply.lines[1] == "4 members are not backing Mark Rutte."


async def test_the_holdouts_listed_add_up_to_the_header(run: Any, demo: None) -> None:
    await replay(
        run,
        [
            "declare SK lean-support rutte date=2024-04-03",
            "declare TR undecided date=2024-04-03",
            "declare RO lean-oppose rutte date=2024-04-04",
        ],
    )
    reply = await run("/tally holdouts")
    data = reply.data
    listed = sum(len(field.items) for field in reply.fields)
    not_supporting = data["members_total"] - data["supporting"]
    assert listed == not_supporting == len(data["holdouts"]) == 4
    assert data["needed"] == not_supporting  # unanimity, nobody abstains
    assert "needs 4 more" in reply.lines[0]
    groups = {field.name: field.items for field in reply.fields}
    assert groups["Leaning (not counted) (2)"] == (
        "🇷🇴\u00a0Romania (against Mark Rutte)",
        "🇸🇰\u00a0Slovakia (towards Mark Rutte)",
    )
    assert groups["Undecided (1)"] == ("🇹🇷\u00a0Türkiye",)


# 3. Before the tracker existed -----------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "/tally nato-sg-2024 as_of=1948-01-01",
        "/tally holdouts nato-sg-2024 as_of=1948-01-01",
        "/tally position HU nato-sg-2024 as_of=2024-02-21",
    ],
)
async def test_a_date_before_the_tracker_opened_gets_no_outcome(
    run: Any, demo: None, command: str
) -> None:
    reply = await run(command)
    assert not reply.ok
    assert "nato-sg-2024 opened on 2024-02-22" in reply.title
    assert "outcome" not in reply.data and "rule is met" not in reply.title


def test_exec_json_before_the_opening_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert tallybot("demo", db=db).returncode == 0
    result = tallybot("exec", "--json", "/tally nato-sg-2024 as_of=1948-01-01", db=db)
    assert result.returncode == 1
    assert "opened on 2024-02-22" in json.loads(result.stdout)["error"]
    assert "opened on 2024-02-22" in result.stderr


# 5. QMV: which condition is short ---------------------------------------------------------------


def eu_population_share(codes: list[str]) -> float:
    with (DATA_DIR / "eu.csv").open(encoding="utf-8") as handle:
        population = {row["code"]: int(row["population"]) for row in csv.DictReader(handle)}
    return sum(population[c] for c in codes) / sum(population.values())


async def test_qmv_names_the_short_population_condition(run: Any) -> None:
    await run('tracker new eu-q "Q" kind=approval rule=qmv body=eu opened=2025-01-01')
    eu = shipped_body("eu")
    smallest = sorted(eu.members, key=lambda m: m.population or 0)[:15]
    await replay(run, [f"declare {m.code} support tracker=eu-q" for m in smallest])
    reply = await run("/tally eu-q")
    share = eu_population_share([m.code for m in smallest])
    assert share < 0.65
    assert reply.data["population_share"] == round(share, 4)
    assert reply.data["population_needed"] == 0.65
    assert reply.lines[0] == f"Approved by 15 of 27 · 65% of population needed: {share:.1%} now"
    assert "needs" not in reply.lines[0]


async def test_qmv_names_the_short_member_condition(run: Any) -> None:
    await run('tracker new eu-q "Q" kind=approval rule=qmv body=eu opened=2025-01-01')
    empty = (await run("/tally eu-q")).data
    assert empty["population_share"] == 0.0 and empty["population_needed"] == 0.65
    await replay(run, [f"declare {c} support tracker=eu-q" for c in ("DE", "FR", "IT", "ES", "PL")])
    reply = await run("/tally eu-q")
    assert eu_population_share(["DE", "FR", "IT", "ES", "PL"]) > 0.65
    assert reply.lines[0] == "Approved by 5 of 27 · needs 10 more members"
    await run("declare NL support tracker=eu-q")
    for code in ("BE", "CZ", "PT", "SE", "EL", "HU", "AT", "BG", "DK"):
        await run(f"declare {code} support tracker=eu-q")
    assert (await run("/tally eu-q")).lines[0] == "Approved by 15 of 27 · ✅ the rule is met"


# 6. Wording that contradicts the result ----------------------------------------------------------


async def test_unanimity_with_an_abstention_explains_the_rule_as_applied(run: Any) -> None:
    eu = shipped_body("eu")
    commands = ['tracker new eu-u "U" kind=approval rule=unanimity body=eu opened=2025-01-01']
    commands += [f"declare {m.code} support" for m in eu.members if m.code != "HU"]
    commands.append("declare HU abstain")
    await replay(run, commands)
    reply = await run("/tally eu-u")
    assert (
        reply.lines[0] == "Approved by 26 of 27 (26 of the 26 not abstaining) · ✅ the rule is met"
    )
    assert reply.lines[1] == (
        "Rule: unanimity: all 26 not abstaining must agree (1 abstains); "
        "no member may oppose; an abstention does not block"
    )
    assert "all 27 must agree" not in render_text(reply)


async def test_lean_stances_on_an_approval_read_as_full_sentences(run: Any) -> None:
    await run('tracker new ap "A" kind=approval rule=unanimity opened=2024-01-01')
    towards = await run("declare BE lean-support date=2024-02-01")
    against = await run("declare FR lean-oppose date=2024-02-01")
    assert towards.title.endswith("🇧🇪\u00a0Belgium leans towards approving")
    assert against.title.endswith("🇫🇷\u00a0France leans against approving")
    holdouts = {f.name: f.items for f in (await run("holdouts ap")).fields}
    assert holdouts["Leaning (not counted) (2)"] == (
        "🇧🇪\u00a0Belgium (towards approving)",
        "🇫🇷\u00a0France (against approving)",
    )


async def test_a_position_as_of_a_date_does_not_say_now(run: Any, demo: None) -> None:
    dated = await run("position HU as_of=2024-04-02")
    assert dated.lines[0].startswith("As of 2024-04-02: 🇭🇺\u00a0Hungary opposes Mark Rutte")
    today = await run("position HU")
    assert today.lines[0].startswith("Now: ")


async def test_a_withdrawn_candidate_is_labelled_once(run: Any, demo: None) -> None:
    await run("tracker withdraw nato-sg-2024 iohannis date=2024-06-20")
    reply = await run("/tally")
    names = [field.name for field in reply.fields]
    assert "Support Klaus Iohannis (1, withdrawn)" in names
    assert not [name for name in names if "(withdrawn) (" in name]


async def test_a_confidence_nobody_gave_is_not_called_official(core: Core, run: Any) -> None:
    await run('tracker new ap "A" kind=approval rule=unanimity opened=2024-01-01')
    unstated = await run('declare BE support date=2024-02-01 quote="Yes"')
    official = await run("declare FR support date=2024-02-01 confidence=official")
    assert unstated.lines[0] == "“Yes” · 2024-02-01"
    assert unstated.data["declaration"]["confidence"] is None
    assert official.lines[0] == "2024-02-01 · official"
    stored = await core.store.run(
        lambda tx: [
            r["confidence"]
            for r in as_sqlite(tx).records.db.query("SELECT confidence FROM declarations")
        ]
    )
    assert stored == ["unstated", "official"]
    refused = await run("declare DK support confidence=unstated")
    assert not refused.ok and "official, reported" in refused.title


async def test_a_three_way_tie_has_no_leader(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new t3 "Three" kind=selection rule=unanimity candidates="Ann Lee,Bo Ek,Cy Ma" '
            "opened=2024-01-01",
            "declare BE support ann date=2024-02-01",
            "declare FR support bo date=2024-02-01",
            "declare DK support cy date=2024-02-01",
        ],
    )
    reply = await run("/tally t3")
    assert reply.data["leader"] is None
    assert reply.data["tied"] == ["Ann Lee", "Bo Ek", "Cy Ma"]
    assert reply.lines[0].startswith(
        "Tied: Ann Lee, Bo Ek and Cy Ma with 1 of 32 each, no one leads"
    )
    holdouts = await run("holdouts t3")
    assert holdouts.lines[1] == "No candidate leads: 32 members are listed."
    await run("declare DK support ann date=2024-02-02")
    leads = await run("/tally t3")
    assert leads.data["leader"] == "Ann Lee" and leads.data["tied"] == []


async def test_a_flag_never_wraps_away_from_its_name(run: Any, demo: None) -> None:
    text = render_text(await run("/tally"))
    assert "🇭🇺\u00a0Hungary" in text and "🇭🇺 Hungary" not in text


# --json members ----------------------------------------------------------------------------------


async def test_the_json_tally_lists_every_member(run: Any, demo: None) -> None:
    data = (await run("/tally")).data
    members = {m["code"]: m for m in data["members"]}
    assert len(members) == 32
    hungary = members["HU"]
    assert hungary["name"] == "Hungary" and hungary["stance"] == "oppose"
    assert hungary["candidate"] == "Mark Rutte" and hungary["date"] == "2024-03-05"
    assert hungary["source"].startswith("https://telex.hu/")
    assert hungary["quote"].startswith("We definitely cannot support")
    assert members["RO"]["candidate"] == "Klaus Iohannis"
    assert members["SK"] == {
        "code": "SK",
        "name": "Slovakia",
        "stance": None,
        "candidate": None,
        "date": None,
        "source": None,
        "quote": None,
        "declaration_id": None,
    }


async def test_the_json_members_of_an_approval_give_the_stage(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new st "Stages" kind=approval rule=majority stages="parliament,signature" '
            "opened=2024-01-01",
            "declare HU support parliament date=2024-03-05",
        ],
    )
    members = {m["code"]: m for m in (await run("/tally st")).data["members"]}
    assert members["HU"]["stage"] == "parliament" and "candidate" not in members["HU"]
