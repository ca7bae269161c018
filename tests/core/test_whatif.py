"""/tally whatif and /tally paths on the demo and on an EU qmv question: hypothetical stances
go through the real tally, paths are checked against it, and nothing is ever recorded."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.app import Core
from bot.domain import Stance
from bot.rules import Outcome
from bot.settings import Settings, SettingsError
from bot.storage import Transaction
from bot.tally import Tally, compute_tally
from bot.whatif import Hypothesis, apply, paths
from tallybot.wiring import open_core
from tests.conftest import READER, Clock

BIGGEST = ("DE", "FR", "IT", "ES", "PL", "RO", "NL")


async def demo_loaded(run: Callable) -> None:
    from bot.demo import DEMO_COMMANDS

    for text in DEMO_COMMANDS:
        reply = await run(text)
        assert reply.ok, reply.title


async def test_whatif_hungary_supports(run: Callable, core: Core) -> None:
    await demo_loaded(run)
    before = await core.store.run(lambda tx: tx.records.count_declarations(1))
    reply = await run("whatif Hungary yes", READER)
    assert reply.ok, reply.title
    assert reply.lines[0] == "If Hungary backs Mark Rutte:"
    assert reply.lines[2].startswith("Then: Mark Rutte: 29 of 32 support · needs 3 more")
    assert reply.lines[3] == "The outcome turns from blocked to pending."
    assert reply.data["after"]["outcome"] == "pending"
    assert await core.store.run(lambda tx: tx.records.count_declarations(1)) == before


async def test_whatif_every_holdout_backs_the_leader(run: Callable) -> None:
    await demo_loaded(run)
    reply = await run("whatif HU support SK support TR support Romania support")
    assert reply.data["after"]["outcome"] == "reached"
    assert reply.lines[3] == "The outcome turns from blocked to reached."


async def test_whatif_says_what_is_wrong(run: Callable) -> None:
    await demo_loaded(run)
    cases = {
        "whatif HU": "No stance after 'HU'",
        "whatif support": "Name a member before 'support'",
        "whatif HU support HU oppose": "Hungary is named twice",
        "whatif AT support": "Austria is not a member of NATO",
    }
    for text, expected in cases.items():
        reply = await run(text)
        assert not reply.ok and expected in reply.title, (text, reply.title)


async def test_paths_under_unanimity_is_everyone_not_yet_counted(run: Callable) -> None:
    await demo_loaded(run)
    reply = await run("paths nato-sg-2024")
    assert reply.ok, reply.title
    assert reply.data["size"] == 4
    assert sorted(reply.data["sets"][0]) == ["HU", "RO", "SK", "TR"]


async def test_paths_under_a_count_rule_is_any_n_of_the_rest(run: Callable) -> None:
    for text in (
        'tracker new q1 "Majority question" kind=approval rule=majority opened=2024-01-01',
        "declare US,GB,FR,DE,IT support tracker=q1 date=2024-02-01",
        "declare HU oppose tracker=q1 date=2024-02-01",
    ):
        assert (await run(text)).ok
    reply = await run("paths q1")
    assert reply.data["size"] == 12  # 17 of 32 needed, 5 have it
    assert len(reply.data["any_of"]) == 27 and "HU" in reply.data["any_of"]
    assert "Any 12 of these 27 members would meet the rule" in reply.lines[1]


async def eu_question(run: Callable, core: Core) -> Tally:
    """Everyone but the seven most populous members supports: 20 of 27, 26% of population."""
    assert (
        await run('tracker new eu-q "EU act" kind=approval rule=qmv body=eu opened=2024-01-01')
    ).ok

    def others(tx: Transaction) -> list[str]:
        repo = tx.records
        return [m.code for m in repo.body("eu").members if m.code not in BIGGEST]

    codes = await core.store.run(others, write=False)
    assert (await run(f"declare {','.join(codes)} support tracker=eu-q date=2024-02-01")).ok

    def read(tx: Transaction) -> Tally:
        repo = tx.records
        tracker = repo.tracker_by_slug("eu-q")
        assert tracker is not None
        day = date(2024, 3, 1)
        return compute_tally(tracker, repo.body("eu"), day, repo.positions(tracker, day))

    return await core.store.run(read, write=False)


async def test_qmv_paths_are_the_smallest_by_population(run: Callable, core: Core) -> None:
    tally = await eu_question(run, core)
    assert tally.verdict.outcome is Outcome.PENDING
    found = paths(tally)

    # Checked by brute force through the tally itself: no pair reaches 65%, some triples do.
    def meets(codes: tuple[str, ...]) -> bool:
        after = apply(tally, [Hypothesis(c, Stance.SUPPORT) for c in codes])
        return after.verdict.outcome is Outcome.REACHED

    assert not any(meets(pair) for pair in itertools.combinations(BIGGEST, 2))
    triples = [t for t in itertools.combinations(BIGGEST, 3) if meets(t)]
    assert found.size == 3 and not found.cut
    assert found.total == len(triples)
    assert len(found.sets) == min(len(triples), 10)
    assert {frozenset(s) for s in found.sets} <= {frozenset(t) for t in triples}
    reply = await run("paths eu-q")
    assert "Smallest: 3 more members" in reply.lines[1]
    assert "of population (needs 65%)" in reply.fields[0].value


async def test_qmv_paths_say_when_the_search_is_cut(run: Callable, core: Core) -> None:
    assert (
        await run('tracker new eu-w "Wide" kind=approval rule=qmv body=eu opened=2024-01-01')
    ).ok
    assert (await run("declare DE,FR support tracker=eu-w date=2024-02-01")).ok
    reply = await run("paths eu-w")
    assert reply.data["cut"] is True  # 13 of 25 members: millions of sets
    assert any("Search cut after 200,000 combinations" in line for line in reply.context)
    for codes in reply.data["sets"]:
        check = await run(f"whatif {' support '.join(codes)} support tracker=eu-w")
        assert check.data["after"]["outcome"] == "reached"


async def test_view_online_link_for_public_trackers(run: Callable, core: Core) -> None:
    await demo_loaded(run)
    core.dispatcher.public_url = "https://tally.example.org"
    private = await run("nato-sg-2024")
    assert "url" not in private.data
    assert (await run("tracker edit nato-sg-2024 visibility=public")).ok
    public = await run("nato-sg-2024")
    assert public.data["url"] == "https://tally.example.org/t/local/nato-sg-2024"
    assert public.context[-1] == "View online: https://tally.example.org/t/local/nato-sg-2024"
    core.dispatcher.public_url = None
    if core.dispatcher.cache is not None:
        core.dispatcher.cache.clear()  # the setting is fixed at start; a kept reply had the link
    assert "url" not in (await run("nato-sg-2024")).data


def test_the_public_url_setting(db_path: Path, clock: Clock) -> None:
    with pytest.raises(SettingsError, match=r"TALLYBOT_PUBLIC_URL=tally\.example\.org is not"):
        Settings.from_env({"TALLYBOT_PUBLIC_URL": "tally.example.org"})
    settings = Settings.from_env(
        {"TALLYBOT_PUBLIC_URL": "https://tally.example.org/", "TALLYBOT_DB": str(db_path)}
    )
    assert settings.public_url == "https://tally.example.org"
    core = open_core(settings, clock)
    try:
        assert core.dispatcher.public_url == "https://tally.example.org"
    finally:
        core.close()
