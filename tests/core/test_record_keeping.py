"""Record-keeping commands through the parser, dispatcher and a real SQLite file: tracker edits,
candidates, reopen, reinstate, archive, amendments, roll-calls, paged history, and dates checked
against the tracker's life. Every refusal names what limits it and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.alerts.changes import read_change
from bot.alerts.wording import event_alert
from bot.app import Core
from bot.demo import DEMO_COMMANDS
from bot.events import DomainEvent, EventKind
from bot.history import CONTINUED
from store.thread import as_sqlite
from tests.conftest import READER

from .test_commands import snapshot
from .test_seed_stories import replay


@pytest.fixture
async def demo(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)


async def ok(run: Any, text: str) -> Any:
    reply = await run(text)
    assert reply.ok, f"{text}: {reply.title}"
    return reply


async def refused(core: Core, run: Any, text: str, *expected: str) -> str:
    """Run `text`, expect a refusal naming every `expected` part, and no write at all."""
    before = await snapshot(core)
    reply = await run(text)
    assert not reply.ok, f"{text} was accepted"
    for part in expected:
        assert part in reply.title, f"{part!r} not in {reply.title!r}"
    assert "Something went wrong" not in reply.title
    assert await snapshot(core) == before
    return reply.title


async def events(core: Core, kind: str) -> list[dict[str, Any]]:
    return await core.store.run(
        lambda tx: list(
            as_sqlite(tx).records.db.query(
                "SELECT * FROM tracker_events WHERE kind = ? ORDER BY id", [kind]
            )
        )
    )


# -- 4. dates against the tracker's life -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "declare LT support rutte date=2024-01-01",
            ("date=2024-01-01", "before nato-sg-2024 opened on 2024-02-22"),
        ),
        (
            "declare LT,SK support rutte date=2024-01-01",
            ("date=2024-01-01", "opened on 2024-02-22"),
        ),
        (
            'tracker new t-future "T" kind=approval rule=unanimity opened=2027-01-01',
            ("opened=2027-01-01 is in the future", "today is 2026-11-23"),
        ),
        (
            'tracker new t-old "T" kind=approval rule=unanimity opened=1899-12-31',
            ("opened=1899-12-31", "before 1900-01-01"),
        ),
        ("tracker edit nato-sg-2024 opened=2030-01-01", ("in the future",)),
        ("tracker edit nato-sg-2024 opened=1800-05-01", ("before 1900-01-01",)),
        (
            "tracker edit nato-sg-2024 opened=2024-03-01",
            ("opened=2024-03-01", "first declaration on record (2024-02-22)"),
        ),
        (
            'tracker close nato-sg-2024 outcome="x" date=2024-01-10',
            ("date=2024-01-10", "before nato-sg-2024 opened on 2024-02-22"),
        ),
        (
            'tracker close nato-sg-2024 outcome="x" date=2024-03-01',
            ("date=2024-03-01", "last declaration on record (2024-04-02)"),
        ),
        ("tracker withdraw nato-sg-2024 iohannis date=2023-12-31", ("opened on 2024-02-22",)),
    ],
)
async def test_dates_outside_the_trackers_life_are_refused_with_the_limit(
    core: Core, run: Any, demo: None, text: str, expected: tuple[str, ...]
) -> None:
    await refused(core, run, text, *expected)


@pytest.mark.parametrize("status", ["decided", "abandoned"])
async def test_no_declaration_after_a_close_names_the_close_date(
    core: Core, run: Any, demo: None, status: str
) -> None:
    await ok(run, f'tracker close nato-sg-2024 outcome="done" status={status} date=2024-06-26')
    title = await refused(
        core,
        run,
        "declare SK support rutte tracker=nato-sg-2024 date=2024-07-01",
        "after nato-sg-2024 closed on 2024-06-26",
        status,
    )
    assert "2024-06-26" in title
    await ok(run, "declare SK support rutte tracker=nato-sg-2024 date=2024-06-20")


# -- tracker edit ---------------------------------------------------------------------------


async def test_edit_records_who_what_and_the_outcomes_it_changes(
    core: Core, run: Any, demo: None
) -> None:
    reply = await ok(run, "tracker edit nato-sg-2024 rule=majority")
    assert reply.data["changed"] == {"rule": ["unanimity", "majority"]}
    changes = {c["date"]: (c["was"], c["now"]) for c in reply.data["outcome_changes"]}
    # Hungary's opposition blocked under unanimity; under a majority it does not.
    assert changes["2024-03-05"] == ("blocked", "pending")
    assert changes["2024-04-02"] == ("blocked", "reached")
    assert any(
        "This changes the outcome on 2024-04-02: was blocked, now reached" in line
        for line in reply.lines
    )
    (edited,) = await events(core, "edited")
    assert json.loads(edited["detail"]) == {"rule": ["unanimity", "majority"]}
    assert edited["recorded_by"].startswith("console:local:operator")
    assert edited["recorded_at"].startswith("2026-11-23T12:00")
    tally = await ok(run, "/tally")
    assert tally.data["rule"] == "majority" and tally.data["outcome"] == "reached"


async def test_edit_that_changes_no_outcome_says_so_and_title_edits_are_quiet(
    run: Any, demo: None
) -> None:
    reply = await ok(run, "tracker edit nato-sg-2024 rule=two-thirds")
    assert reply.data["outcome_changes"]  # 28 of 32 meets two-thirds; unanimity was blocked
    same = await ok(run, 'tracker edit nato-sg-2024 title="NATO SG race" visibility=public')
    assert same.data["changed"] == {
        "title": ["NATO Secretary General 2024", "NATO SG race"],
        "visibility": ["private", "public"],
    }
    assert not any("outcome" in line for line in same.lines)
    listed = await ok(run, "trackers")
    assert listed.data["trackers"][0]["title"] == "NATO SG race"


async def test_edit_refusals(core: Core, run: Any, demo: None) -> None:
    await refused(core, run, "tracker edit nato-sg-2024", "Nothing to change", "rule=")
    await refused(core, run, "tracker edit nato-sg-2024 rule=unanimity", "nothing changed")
    # The EU lacks the US, Canada, Norway...: their declarations would lose their member.
    await refused(core, run, "tracker edit nato-sg-2024 body=eu", "has no member", "US")
    await refused(core, run, "tracker edit nato-sg-2024 visibility=secret", "visibility")
    reader = await run("tracker edit nato-sg-2024 rule=majority", actor=READER)
    assert not reader.ok and "Only moderators" in reader.title


async def test_opened_moves_within_its_limits_and_is_recorded(
    core: Core, run: Any, demo: None
) -> None:
    moved = await ok(run, "tracker edit nato-sg-2024 opened=2024-02-01")
    assert moved.data["changed"] == {"opened": ["2024-02-22", "2024-02-01"]}
    assert not any("outcome" in line for line in moved.lines)  # an opening counts no one
    await ok(run, "declare SK lean-support rutte date=2024-02-10")
    await refused(core, run, "declare SK support rutte date=2024-01-31", "opened on 2024-02-01")
    (edited,) = await events(core, "edited")
    assert edited["made_on"] == "2026-11-23"


async def test_new_tracker_takes_visibility(run: Any) -> None:
    await ok(
        run,
        'tracker new fi-nato "Finland joins NATO" kind=approval rule=unanimity subject=FI '
        "opened=2022-05-18 visibility=public",
    )
    edited = await ok(run, "tracker edit fi-nato visibility=private subject=none")
    assert edited.data["changed"]["visibility"] == ["public", "private"]
    assert edited.data["changed"]["subject"] == ["FI", None]


# -- candidates, reopen, reinstate, archive ----------------------------------------------------


async def test_candidate_add_and_rename_refuse_duplicates(core: Core, run: Any, demo: None) -> None:
    added = await ok(run, 'tracker candidate add nato-sg-2024 "Kaja Kallas"')
    assert added.data["candidate"] == "Kaja Kallas"
    await ok(run, "declare SK support kallas date=2024-04-03")
    await refused(core, run, "tracker candidate add nato-sg-2024 mark rutte", "already has")
    renamed = await ok(run, 'tracker candidate rename nato-sg-2024 kallas to="Kaja Kallas Jr"')
    assert renamed.data == {
        "tracker": "nato-sg-2024",
        "candidate": "Kaja Kallas Jr",
        "was": "Kaja Kallas",
    }
    position = await ok(run, "position SK")
    assert position.data["position"]["candidate"] == "Kaja Kallas Jr"
    await refused(
        core, run, 'tracker candidate rename nato-sg-2024 kallas to="Mark Rutte"', "already has"
    )
    assert [json.loads(e["detail"]) for e in await events(core, "candidate-renamed")] == [
        {"name": ["Kaja Kallas", "Kaja Kallas Jr"]}
    ]
    await refused(core, run, "tracker candidate add nato-sg-2024", "Missing NAME")


async def test_reinstate_undoes_a_withdrawal(core: Core, run: Any, demo: None) -> None:
    await refused(core, run, "tracker reinstate nato-sg-2024 iohannis", "has not withdrawn")
    await ok(run, "tracker withdraw nato-sg-2024 iohannis date=2024-06-20")
    assert (await ok(run, "/tally")).data["withdrawn"] == ["Klaus Iohannis"]
    back = await ok(run, "tracker reinstate nato-sg-2024 iohannis")
    assert "2024-06-20" in back.lines[0]
    assert (await ok(run, "/tally")).data["withdrawn"] == []
    (event,) = await events(core, "reinstated")
    assert json.loads(event["detail"]) == {
        "candidate": "Klaus Iohannis",
        "withdrawn_on": "2024-06-20",
    }


async def test_reopen_keeps_the_close_in_history(core: Core, run: Any, demo: None) -> None:
    await refused(core, run, "tracker reopen nato-sg-2024", "already open")
    await ok(run, 'tracker close nato-sg-2024 outcome="Rutte appointed" date=2024-06-26')
    reopened = await ok(run, "tracker reopen nato-sg-2024")
    assert "Rutte appointed" in reopened.lines[0]
    assert (await ok(run, "/tally")).data["status"] == "open"
    (event,) = await events(core, "reopened")
    assert json.loads(event["detail"]) == {
        "status": "decided",
        "outcome": "Rutte appointed",
        "closed_on": "2024-06-26",
    }
    history = await ok(run, "history")
    texts = [item for f in history.fields for item in f.items]
    assert any("Closed, decided: Rutte appointed — by Operator" in t for t in texts)
    assert any("Reopened (was decided on 2024-06-26: Rutte appointed)" in t for t in texts)


async def test_archive_hides_from_lists_and_defaults_but_not_by_name(
    core: Core, run: Any, demo: None
) -> None:
    await ok(run, 'tracker new other-q "Another question" kind=approval rule=unanimity')
    several = await run("/tally")
    assert not several.ok and "Several trackers are open" in several.title
    await ok(run, "tracker archive other-q")
    assert [t["slug"] for t in (await ok(run, "trackers")).data["trackers"]] == ["nato-sg-2024"]
    assert (await ok(run, "/tally")).data["tracker"] == "nato-sg-2024"  # the only unarchived
    assert (await ok(run, "/tally other-q")).data["tracker"] == "other-q"
    await refused(core, run, "tracker archive other-q", "already archived")
    await ok(run, "tracker unarchive other-q")
    assert len((await ok(run, "trackers")).data["trackers"]) == 2
    await refused(core, run, "tracker unarchive other-q", "not archived")
    # Reopening an archived tracker brings it back too, and says so.
    await ok(run, 'tracker close other-q outcome="dropped" status=abandoned')
    await ok(run, "tracker archive other-q")
    reopened = await ok(run, "tracker reopen other-q")
    assert any("archived" in line for line in reopened.lines)
    assert len((await ok(run, "trackers")).data["trackers"]) == 2
    kinds = [e["kind"] for e in await events(core, "archived")]
    assert kinds == ["archived", "archived"]


# -- amend ---------------------------------------------------------------------------------


async def test_amend_changes_how_it_reads_and_keeps_the_original(
    core: Core, run: Any, demo: None
) -> None:
    lt = (await ok(run, "position LT")).data["position"]
    reply = await ok(
        run,
        f'amend #{lt["id"]} quote="Rutte is the right man" confidence=reported '
        "source=https://example.org/lt",
    )
    assert reply.data["changes"] == {
        "source": "https://example.org/lt",
        "quote": "Rutte is the right man",
        "confidence": "reported",
    }
    position = await ok(run, "position LT")
    assert position.data["position"]["quote"] == "Rutte is the right man"
    assert position.data["position"]["confidence"] == "reported"
    items = position.fields[0].items
    assert any("amended 2026-11-23 12:00 UTC by Operator" in i for i in items)
    assert any("first recorded:" in i and "one of those politicians" in i for i in items)
    everything = await ok(run, "history")
    assert day_items(everything, "2026-11-23")[0].startswith(
        f"⚙️ Amended #{lt['id']} (LT): source → https://example.org/lt; quote → Rutte is the "
        "right man; confidence → reported — by Operator, 2026-11-23 12:00 UTC"
    )
    history = await ok(run, "history member=LT")
    assert history.data["declarations"][0]["quote"] == "Rutte is the right man"
    entry = "\n".join(history.fields[0].items)
    assert "Rutte is the right man" in entry and "one of those politicians" in entry
    await refused(core, run, f"amend {lt['id']} confidence=reported", "nothing changed")
    await refused(core, run, f"amend {lt['id']}", "Nothing to amend", "quote=")
    await refused(core, run, "amend #abc quote=x", "not a declaration id", "#57")
    await refused(core, run, "amend 99999 quote=x", "No declaration #99999")


async def test_amended_values_reach_the_tally_and_alerts(core: Core, run: Any, demo: None) -> None:
    latest = await ok(run, 'declare SK support rutte date=2024-06-18 quote="first words"')
    declaration_id = latest.data["declaration"]["id"]
    await ok(run, f'amend {declaration_id} quote="what was really said" speaker="PM Fico"')
    tally = await ok(run, "/tally")
    assert any("what was really said" in c and "PM Fico" in c for c in tally.context)

    def alert(tx: Any) -> str:
        repo = tx.records
        event = DomainEvent(
            EventKind.DECLARATION, 1, latest.data["declaration"]["date"], declaration_id
        )
        return "\n".join(
            event_alert(read_change(repo, event, core.dispatcher.clock().date())).reply.lines
        )

    assert "what was really said" in await core.store.run(alert)


async def test_amending_a_retracted_declaration_is_refused(
    core: Core, run: Any, demo: None
) -> None:
    recorded = await ok(run, "declare TR oppose rutte date=2024-04-03")
    declaration_id = recorded.data["declaration"]["id"]
    await ok(run, f'retract {declaration_id} reason="wrong country"')
    await refused(core, run, f"amend #{declaration_id} quote=x", "was retracted", "wrong country")
    reader = await run(f"amend #{declaration_id} quote=x", actor=READER)
    assert not reader.ok and "Only moderators" in reader.title


# -- roll-call -----------------------------------------------------------------------------


async def test_roll_call_records_every_member_in_one_go(core: Core, run: Any, demo: None) -> None:
    reply = await ok(run, "declare SK, TR support rutte date=2024-06-20 confidence=reported")
    assert reply.title == "Recorded 2 declarations: Slovakia and Türkiye back Mark Rutte"
    assert [d["member"] for d in reply.data["declarations"]] == ["SK", "TR"]
    assert all(d["confidence"] == "reported" for d in reply.data["declarations"])
    assert reply.data["tally"]["supporting"] == 30


async def test_roll_call_is_all_or_nothing_naming_every_problem(
    core: Core, run: Any, demo: None
) -> None:
    await ok(
        run,
        'tracker new fi-nato "Finland joins NATO" kind=approval rule=unanimity '
        "subject=FI opened=2022-05-18",
    )
    title = await refused(
        core,
        run,
        "declare HU,Narnia,FI,HU,,TR support tracker=fi-nato date=2023-03-27",
        "Nothing recorded",
        "No member 'Narnia' in NATO",
        "Finland is the subject of fi-nato",
        "Hungary is named twice",
        "An empty name between two commas",
    )
    assert "Türkiye" not in title  # only the bad ones are named


def day_items(reply: Any, day: str) -> list[str]:
    """The entries under one date heading, continuation fields included."""
    found: list[str] = []
    inside = False
    for field in reply.fields:
        if field.name != CONTINUED:
            inside = field.name == day
        if inside:
            found += field.items
    return found


# -- history -------------------------------------------------------------------------------


async def test_history_pages_and_counts_only_when_filtered(
    core: Core, run: Any, demo: None
) -> None:
    first = await ok(run, "history limit=10")
    assert first.data["total"] == 30 and first.data["pages"] == 3
    assert first.context[0] == "30 declarations, newest first; page 1 of 3."
    ids = [d["id"] for d in first.data["declarations"]]
    second = await ok(run, "history limit=10 page=2")
    third = await ok(run, "history limit=10 page=3")
    all_ids = ids + [d["id"] for d in second.data["declarations"]]
    all_ids += [d["id"] for d in third.data["declarations"]]
    assert len(set(all_ids)) == 30
    after = await ok(run, f"history limit=10 before=#{ids[-1]}")
    assert [d["id"] for d in after.data["declarations"]] == [
        d["id"] for d in second.data["declarations"]
    ]
    assert f"before=#{ids[-1]}" in first.context[1]
    filtered = await ok(run, "history member=HU")
    assert filtered.context[0] == "member=HU: 1 of 30 declarations, newest first; page 1 of 1."
    await refused(core, run, "history page=9", "page=9 is past the end", "3")
    await refused(core, run, "history page=2 before=#3", "not both")


async def test_history_prints_each_date_once_with_tracker_events(run: Any, demo: None) -> None:
    await ok(run, "tracker edit nato-sg-2024 rule=majority")
    reply = await ok(run, "history limit=50")
    headings = [f.name for f in reply.fields if f.name != CONTINUED]
    assert headings == sorted(set(headings), reverse=True)  # each date once, newest first
    assert headings[0] == "2026-11-23" and "2024-04-02" in headings
    (edit,) = reply.fields[0].items
    assert edit == "⚙️ Edited: rule unanimity → majority — by Operator, 2026-11-23 12:00 UTC"
    april = day_items(reply, "2024-04-02")
    assert len(april) == 24 and not any("2024-04-02" in i for i in april)
    assert all(len("\n".join(f.items)) <= 1024 for f in reply.fields)  # fits a Discord field
    opened = day_items(reply, "2024-02-22")
    assert any(i.startswith("⚙️ Opened: NATO Secretary General 2024") for i in opened)
    assert [e["kind"] for e in reply.data["events"]] == ["opened", "edited"]


async def test_nested_groups_and_an_archive_that_hides_everything_explain_themselves(
    core: Core, run: Any, demo: None
) -> None:
    await refused(
        core,
        run,
        "tracker candidate",
        "Missing a 'tracker candidate' subcommand",
        "/tally tracker candidate add, /tally tracker candidate rename",
    )
    await refused(core, run, "tracker candidate remove x", "'remove' is not a 'tracker candidate'")
    await ok(run, "tracker archive nato-sg-2024")
    listed = await ok(run, "trackers")
    assert listed.lines == ("Every tracker is archived (nato-sg-2024); each reads by name.",)
    await refused(core, run, "/tally", "No open tracker outside the archive", "nato-sg-2024")
