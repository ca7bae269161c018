"""Every command through the text parser and dispatcher: happy paths, and bad input that gets a
clear reply and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import Core
from bot.demo import DEMO_COMMANDS
from bot.replies import Visibility
from bot.storage import Transaction
from store.thread import as_sqlite
from tests.conftest import OPERATOR, READER

from .test_seed_stories import replay


async def snapshot(core: Core) -> dict[str, int]:
    """Row counts of every table: proof that a refused command wrote nothing."""

    def counts(tx: Transaction) -> dict[str, int]:
        db = as_sqlite(tx).records.db
        return {name: db.count_where(name, "TRUE", []) for name in db.table_names()}

    return await core.store.run(counts)


@pytest.fixture
async def demo(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)


async def test_tally_without_tracker_uses_the_only_open_one(run: Any, demo: None) -> None:
    reply = await run("/tally")
    assert reply.ok and reply.data["tracker"] == "nato-sg-2024"
    assert reply.visibility is Visibility.PRIVATE
    assert "28 of 32 support" in reply.lines[0] and "Hungary opposes" in reply.lines[0]


async def test_position_holdouts_history_trackers_help(run: Any, demo: None) -> None:
    position = await run("/tally position LT")
    assert position.data["position"]["speaker"] == "President Gitanas Nauseda"
    assert position.data["position"]["source"].startswith("https://")
    holdouts = await run("/tally holdouts")
    assert holdouts.data["holdouts"] == ["HU", "RO", "SK", "TR"]
    history = await run("/tally history limit=3")
    assert len(history.data["declarations"]) == 3 and history.data["total"] == 30
    only_hu = await run("/tally history member=hungary")
    assert [d["member"] for d in only_hu.data["declarations"]] == ["HU"]
    trackers = await run("/tally trackers")
    assert [t["slug"] for t in trackers.data["trackers"]] == ["nato-sg-2024"]
    help_all = await run("/tally help")
    assert "declare" in help_all.data["commands"]
    help_one = await run("help declare")
    assert help_one.ok and "Moderators only." in help_one.fields[0].items


async def test_declare_records_a_change_of_position_publicly(run: Any, demo: None) -> None:
    reply = await run(
        'declare "Slovakia" lean-support Mark Rutte date=2024-05-01 confidence=reported '
        'quote="We are close" speaker="Unnamed diplomat"'
    )
    assert reply.ok and reply.visibility is Visibility.PUBLIC
    assert reply.data["declaration"]["stance"] == "lean-support"
    assert reply.data["declaration"]["candidate"] == "Mark Rutte"
    assert reply.data["declaration"]["recorded_by"].startswith("console:local:operator")
    changed = await run("declare SK support rutte date=2024-06-18")
    assert any("Change of position: was leans towards Mark Rutte" in line for line in changed.lines)
    # leaning is shown but not counted
    tally = changed.data["tally"]
    assert "SK" in tally["by_candidate"]["Mark Rutte"]


async def test_stance_synonyms_and_smart_quotes(run: Any, demo: None) -> None:
    reply = await run("declare TR no rutte date=2024-04-03 quote=“Not yet”")
    assert reply.ok and reply.data["declaration"]["stance"] == "oppose"
    assert reply.data["declaration"]["quote"] == "Not yet"


async def test_retraction_voids_but_keeps_history(core: Core, run: Any, demo: None) -> None:
    recorded = await run("declare TR oppose rutte date=2024-04-03")
    declaration_id = recorded.data["declaration"]["id"]
    assert "TR" in recorded.data["tally"]["blocked_by"]
    retracted = await run(f'retract {declaration_id} reason="misattributed: it was a rumour"')
    assert retracted.ok and "TR" not in retracted.data["tally"]["blocked_by"]
    history = await run("/tally history member=TR")
    assert history.data["declarations"][0]["retracted"] == "misattributed: it was a rumour"
    again = await run(f'retract {declaration_id} reason="twice"')
    assert not again.ok and "already retracted" in again.title


async def test_tracker_lifecycle_and_moderators(run: Any) -> None:
    created = await run(
        'tracker new eu-sanctions "17th sanctions package" kind=approval rule=qmv body=eu'
    )
    assert created.ok, created.title
    assert (await run("declare DE support tracker=eu-sanctions")).ok
    qmv = await run("/tally eu-sanctions")
    assert qmv.data["rule"] == "qmv" and "population_share" in qmv.data

    refused = await run("declare FR support tracker=eu-sanctions", READER)
    assert not refused.ok and "Only moderators" in refused.title
    assert (await run("moderator add <@U024BE7LH|ann>")).data["user"] == "U024BE7LH"
    assert (await run("moderator add reader")).ok
    assert (await run("declare FR support tracker=eu-sanctions", READER)).ok
    listing = await run("moderator list", READER)
    assert listing.data["moderators"] == ["U024BE7LH", "reader"]
    assert (await run("moderator remove reader")).ok
    assert not (await run("declare IT support tracker=eu-sanctions", READER)).ok
    closed = await run('tracker close eu-sanctions outcome="abandoned" status=abandoned')
    assert closed.ok
    late = await run("declare IT support tracker=eu-sanctions date=2026-11-23")
    assert late.ok  # same day as closing is still allowed


BAD_INPUT = [
    ("declare Lithuana support rutte", "Did you mean Lithuania?"),
    ("/tally nato-sg-2042", "Did you mean nato-sg-2024?"),
    ("declare LT support rutte date=2024-13-01", "is not a date"),
    ("declare LT support rutte date=2999-01-01", "in the future"),
    ("/tally as_of=02/04/2024", "is not a date"),
    ("declare LT maybe rutte", "Unknown stance 'maybe'"),
    ("declare LT", "Missing STANCE"),
    ("declare", "Missing MEMBER"),
    ("declare LT support", "Which candidate?"),
    ("declare LT support stoltenberg", "No candidate 'stoltenberg'"),
    ("declare LT undecided rutte", "leave out the candidate"),
    ("declare LT support rutte source=not-a-url", "is not a web address"),
    ("declare LT support rutte confidence=rumour", "Unknown confidence"),
    ("declare LT support rutte colour=blue", "Unknown option 'colour='"),
    ('declare LT support rutte quote="unclosed', "quote is not closed"),
    ("declare SE oppose rutte date=2024-03-01", None),  # allowed: counts once Sweden joins
    ("declare SE oppose rutte date=2023-01-01", "before nato-sg-2024 opened on 2024-02-22"),
    ("retract 99999 reason=x", "No declaration #99999"),
    ("retract 1", "Missing"),
    ("retract one reason=x", "is not a whole number"),
    ("history limit=0", "at least 1"),
    ("tracker new nato-sg-2024 Again kind=selection rule=unanimity candidates=A", "already"),
    ("tracker new x1 Title kind=selection rule=unanimity", "needs candidates"),
    ("tracker new x2 Title kind=poll rule=unanimity", "Unknown kind 'poll'"),
    ("tracker new x3 Title kind=approval rule=plurality", "Unknown rule 'plurality'"),
    ("tracker new x4 Title kind=approval rule=qmv", "no population figures"),
    ("tracker new help Title kind=approval rule=majority", "can't be a tracker name"),
    ("tracker new x5 Title kind=approval rule=majority body=un", "No body 'un'"),
    ("tracker frobnicate", "not a 'tracker' subcommand"),
    ("tracker withdraw nato-sg-2024 nobody", "No candidate 'nobody'"),
    ("moderator add", "Missing USER"),
    ("help frobnicate", "No command 'frobnicate'"),
    ('tracker new x7 "T" kind=approval rule=threshold=²', "whole number"),
    ("declare LT support rutte source=http://[oops", "is not a web address"),
    ('tracker new x8 "Sweden" kind=approval rule=unanimity stags=a,b', "Unknown option 'stags='"),
    ('tracker new x9 "T" kind=approval rule=threshold=40', "can never be met"),
    ('tracker new y1 "T" kind=approval rule=majority stages="parliament,Parliament"', "twice"),
    ('tracker new y2 "T" kind=selection rule=majority candidates="Ann Lee,ann lee"', "twice"),
]


@pytest.mark.parametrize(("text", "message"), BAD_INPUT)
async def test_bad_input_gets_a_clear_reply_and_changes_nothing(
    core: Core, run: Any, demo: None, text: str, message: str | None
) -> None:
    before = await snapshot(core)
    reply = await run(text)
    if message is None:
        assert reply.ok, reply.title
        return
    assert not reply.ok
    assert message in reply.title, reply.title
    assert "Traceback" not in reply.title
    assert await snapshot(core) == before


@pytest.mark.parametrize(
    "text",
    [
        "declare LT support rutte",
        "retract 1 reason=x",
        'tracker new x6 "T" kind=approval rule=majority',
        "tracker withdraw nato-sg-2024 iohannis",
        'tracker close nato-sg-2024 outcome="x"',
        "moderator add someone",
        "moderator remove someone",
    ],
)
async def test_non_moderators_cannot_write(core: Core, run: Any, demo: None, text: str) -> None:
    before = await snapshot(core)
    reply = await run(text, READER)
    assert not reply.ok and "Only moderators" in reply.title
    assert await snapshot(core) == before


async def test_several_open_trackers_need_a_name(run: Any, demo: None) -> None:
    await run('tracker new other "Other" kind=approval rule=majority')
    reply = await run("/tally")
    assert not reply.ok and "Several trackers are open" in reply.title


async def test_a_failure_mid_command_rolls_back_every_write(
    core: Core, run: Any, demo: None
) -> None:
    def explode(tx: Any, events: Any) -> None:
        raise RuntimeError("disk on fire")

    core.dispatcher.event_writers.append(explode)
    before = await snapshot(core)
    reply = await run("declare TR support rutte")
    assert not reply.ok and "nothing was saved" in reply.title
    assert await snapshot(core) == before


async def test_reads_are_allowed_to_everyone(run: Any, demo: None) -> None:
    for text in ("/tally", "position HU", "holdouts", "history", "trackers", "help"):
        reply = await run(text, READER)
        assert reply.ok, text


async def test_operator_fixture_is_a_moderator() -> None:
    assert OPERATOR.platform_moderator and not READER.platform_moderator


async def test_quotes_typed_on_phones_and_inside_values(run: Any, demo: None) -> None:
    reply = await run(
        'declare TR oppose rutte date=2024-04-03 quote="Szijjártó said “never” today" '
        "speaker=O’Brien"
    )
    assert reply.ok, reply.title
    assert reply.data["declaration"]["quote"] == "Szijjártó said “never” today"
    assert reply.data["declaration"]["speaker"] == "O’Brien"


async def test_slack_escaped_links_keep_only_the_url(run: Any, demo: None) -> None:
    reply = await run(
        "declare TR support rutte source=<http://www.example.com/a|www.example.com/a>"
    )
    assert reply.data["declaration"]["source"] == "http://www.example.com/a"


async def test_a_quoted_title_may_contain_equals(run: Any) -> None:
    reply = await run('tracker new eq "Vote: a = b" kind=approval rule=majority')
    assert reply.ok and reply.title.endswith("Vote: a = b")


async def test_reaffirmed_support_keeps_the_stage_reached(run: Any) -> None:
    await replay(
        run,
        [
            'tracker new st "Stages" kind=approval rule=majority stages="parliament,signature" '
            "opened=2024-01-01",
            "declare HU support signature date=2024-03-05",
        ],
    )
    again = await run("declare HU support date=2024-03-06")
    assert again.data["declaration"]["stage"] == "signature"
    assert again.data["tally"]["approved"] == ["HU"]


async def test_an_unblocked_candidate_leads_a_tie(run: Any) -> None:
    await run('tracker new tie "Tie" kind=selection rule=unanimity candidates="Ann Lee,Bo Ek"')
    await run("declare LT oppose ann")
    tally = (await run("/tally tie")).data
    assert tally["leader"] == "Bo Ek" and tally["outcome"] == "pending"


async def test_abstainers_that_block_are_not_called_opponents(run: Any) -> None:
    await run('tracker new eu-q "Q" kind=approval rule=qmv body=eu')
    for text in (
        "declare DE oppose",
        "declare FR oppose",
        "declare IT oppose",
        "declare MT abstain",
    ):
        assert (await run(text)).ok
    line = (await run("/tally eu-q")).lines[0]
    assert "⛔ blocked: Germany, France and Italy oppose; Malta abstains" in line
