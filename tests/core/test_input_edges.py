"""Issue 8, items 7-11: each wrong or misleading answer at the input's edges, replayed.

Commands go through the real parser, dispatcher and SQLite file; the CLI ones run tallybot as a
real process."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.console.render import json_text, neutralise, render_text
from bot.app import Core
from bot.commands.catalog import COMMANDS
from bot.demo import DEMO_COMMANDS
from bot.errors import NotFound, UserError
from bot.member_file import read_members_csv
from bot.members import Body, Member, normalise, shipped_body
from tests.conftest import READER

from .test_cli import ROOT, TALLYBOT, tallybot
from .test_commands import snapshot
from .test_seed_stories import replay

NATO = shipped_body("nato")


@pytest.fixture
async def demo(run: Any) -> None:
    await replay(run, DEMO_COMMANDS)


async def refused(core: Core, run: Any, text: str) -> str:
    """The error a command gets, after checking it wrote nothing and hid no traceback."""
    before = await snapshot(core)
    reply = await run(text)
    assert not reply.ok, reply.title
    assert "Something went wrong" not in reply.title and "Traceback" not in reply.title
    assert await snapshot(core) == before
    return reply.title


# 7. Errors that mislead --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("retract 1", 'Missing reason="..." (why it was wrong).'),
        ("tracker close nato-sg-2024", 'Missing outcome="..." (what was decided, in quotes).'),
    ],
)
async def test_missing_option_is_named_as_it_is_typed(
    core: Core, run: Any, demo: None, text: str, expected: str
) -> None:
    title = await refused(core, run, text)
    assert expected in title
    assert f"Usage: /tally {text.split()[0]}" in title


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("declare LT support rutte quote=hello world", 'quote="hello world"'),
        ("declare LT support rutte quote= hello world", 'quote="hello world"'),
        ("declare LT support rutte speaker=Gitanas Nauseda", 'speaker="Gitanas Nauseda"'),
        ("retract 1 reason=misattributed quote", 'reason="misattributed quote"'),
        (
            'tracker new mk "Accession" kind=approval rule=unanimity subject=North Macedonia',
            'subject="North Macedonia"',
        ),
    ],
)
async def test_an_unquoted_value_with_spaces_gets_the_quotes_it_needs(
    core: Core, run: Any, demo: None, text: str, expected: str
) -> None:
    title = await refused(core, run, text)
    assert f"Put quotes around a value with spaces: {expected}" in title
    assert "No candidate" not in title


async def test_words_after_an_option_may_still_fill_an_empty_slot(run: Any, demo: None) -> None:
    reply = await run("declare LT support quote=hello rutte")
    assert reply.ok, reply.title
    assert reply.data["declaration"]["quote"] == "hello"
    assert reply.data["declaration"]["candidate"] == "Mark Rutte"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("decalre LT support rutte", "Unknown command 'decalre'. Did you mean /tally declare?"),
        ("histroy", "No command or tracker 'histroy'. Did you mean /tally history?"),
        ("/tally postion HU", "Did you mean /tally position?"),
        ("tracker nwe x", "Did you mean /tally tracker new?"),
        ("help decalre", "No command 'decalre'. Did you mean /tally help declare?"),
    ],
)
async def test_a_mistyped_command_gets_did_you_mean(
    core: Core, run: Any, demo: None, text: str, expected: str
) -> None:
    assert expected in await refused(core, run, text)


async def test_a_tracker_named_like_a_command_still_reads(run: Any, demo: None) -> None:
    made = await run('tracker new histories "Histories" kind=approval rule=majority')
    assert made.ok, made.title
    reply = await run("/tally histories")
    assert reply.ok and reply.data["tracker"] == "histories"


@pytest.mark.parametrize("text", ["/help", "help", "/tally /help", "/tally help", "/HELP"])
async def test_help_answers_however_it_is_typed(run: Any, text: str) -> None:
    reply = await run(text)
    assert reply.ok, reply.title
    assert reply.title.startswith("tallybot:")


def test_help_with_a_slash_through_exec(tmp_path: Path) -> None:
    result = tallybot("exec", "/help", db=tmp_path / "help.db")
    assert result.returncode == 0, result.stdout
    assert "tallybot: the tally of a decision" in result.stdout


async def test_help_for_a_command_with_a_slash(run: Any) -> None:
    reply = await run("/help /declare")
    assert reply.ok and reply.data["commands"] == ["declare"]


async def test_retract_accepts_the_id_as_displayed(run: Any, demo: None) -> None:
    recorded = await run("declare LT support rutte")
    shown = f"#{recorded.data['declaration']['id']}"
    assert shown in recorded.title
    reply = await run(f'retract {shown} reason="typo"')
    assert reply.ok, reply.title
    assert reply.data["retracted"] == recorded.data["declaration"]["id"]


async def test_errors_and_help_never_show_internal_parameter_names(
    core: Core, run: Any, demo: None
) -> None:
    title = await refused(core, run, "retract one reason=x")
    assert "ID 'one' is not a whole number" in title
    assert "declaration_id" not in title
    assert "declaration_id" not in render_text(await run("help retract"))
    assert "declaration_id" not in await refused(core, run, "retract")


async def test_an_id_too_large_for_sqlite_gets_a_sentence(core: Core, run: Any, demo: None) -> None:
    title = await refused(core, run, f"retract {'9' * 30} reason=x")
    assert "is too large" in title and "9,223,372,036,854,775,807" in title


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('declare LT support rutte quote="{}"', "quote is too long: 131,072 characters"),
        ("declare LT support rutte source=https://example.org/{}", "at most 2,000"),
        ("declare LT support rutte speaker={}", "speaker is too long"),
        ("position {}", "MEMBER is too long: 131,072 characters; at most 200."),
        ('tracker new big "{}" kind=approval rule=majority', "TITLE is too long"),
    ],
)
async def test_a_128_kib_field_gets_its_limit_named(
    core: Core, run: Any, demo: None, template: str, expected: str
) -> None:
    filler = "a" * (131_072 - (len("https://example.org/") if "source" in template else 0))
    title = await refused(core, run, template.format(filler))
    assert expected in title


async def test_a_quote_may_be_4000_characters(run: Any, demo: None) -> None:
    reply = await run(f'declare LT support rutte quote="{"q" * 4000}"')
    assert reply.ok, reply.title


def test_bytes_that_are_not_utf8_in_a_command_get_a_sentence(tmp_path: Path) -> None:
    db = tmp_path / "bytes.db"
    assert tallybot("demo", db=db).returncode == 0
    result = subprocess.run(
        [*TALLYBOT, "--db", str(db), "exec", b"/tally declare LT support rutte quote=caf\xe9"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert b"holds bytes that are not UTF-8 text" in result.stdout


# 8. Names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("foroyar", "Føroyar"),
        ("tromso", "Tromsø"),
        ("lodz", "Łódź"),
        ("strasse", "Straße"),
        ("thorshofn", "Þórshöfn"),
        ("turkiye", "Türkiye"),
    ],
)
def test_accent_folding_covers_every_latin_letter(typed: str, stored: str) -> None:
    assert normalise(typed) == normalise(stored)


def test_a_member_named_with_letters_unicode_does_not_decompose_is_found() -> None:
    joined = date(2000, 1, 1)
    body = Body(
        "north",
        "Nordic Council",
        (
            Member("FO", "Føroyar", joined, aliases=("Faroe Islands",)),
            Member("NO", "Norge", joined, aliases=("Norway",)),
            Member("PL", "Polska", joined, aliases=("Łódź Voivodeship",)),
        ),
    )
    assert body.resolve("foroyar").code == "FO"
    assert body.resolve("FØROYAR").code == "FO"
    assert body.resolve("lodz voivodeship").code == "PL"


def test_a_country_of_another_body_is_said_not_to_be_a_member() -> None:
    with pytest.raises(NotFound) as raised:
        NATO.resolve("Austria")
    assert raised.value.message == "Austria is not a member of NATO."
    with pytest.raises(NotFound, match="Austria is not a member of NATO"):
        NATO.resolve("AT")


def test_another_bodys_spelling_of_a_member_finds_it() -> None:
    assert NATO.resolve("EL").code == "GR"  # the EU's code for Greece


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("Lithuana", "Did you mean Lithuania?"),
        ("Germny", "Did you mean Germany?"),
        ("Portgual", "Did you mean Portugal?"),
        ("united", "Did you mean United Kingdom or United States?"),
        ("slov", "Did you mean Slovakia or Slovenia?"),
    ],
)
def test_suggestions_are_ones_a_person_would_make(typed: str, suggested: str) -> None:
    with pytest.raises(NotFound) as raised:
        NATO.resolve(typed)
    assert raised.value.message.endswith(suggested)


@pytest.mark.parametrize("typed", ["Japan", "xx", "zz top"])
def test_no_wild_guess_when_nothing_is_close(typed: str) -> None:
    with pytest.raises(NotFound) as raised:
        NATO.resolve(typed)
    assert "Did you mean" not in raised.value.message


async def test_the_austria_answer_reaches_the_user(run: Any, demo: None) -> None:
    reply = await run("position Austria")
    assert reply.title == "⚠️ Austria is not a member of NATO."


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_alias_may_not_shadow_another_members_code_or_name(tmp_path: Path) -> None:
    csv_file = write_csv(
        tmp_path / "clash.csv",
        "code,name,joined,left,population,aliases",
        "GB,United Kingdom,1949-08-24,,,UK;Britain",
        "UA,Ukraine,1991-08-24,,,GB",
        "IE,Ireland,1973-01-01,,,Britain",
        "FR,France,1958-01-01,,,Ireland",
    )
    with pytest.raises(UserError) as raised:
        read_members_csv(csv_file)
    message = raised.value.message
    assert "line 3: alias 'GB' of Ukraine is already the code of United Kingdom (line 2)" in message
    assert "line 4: alias 'Britain' of Ireland is already the alias of United Kingdom (line 2)" in (
        message
    )
    assert "line 5: alias 'Ireland' of France is already the name of Ireland (line 4)" in message


def test_the_shipped_bodies_pass_the_import_checks() -> None:
    for slug in ("nato", "eu"):
        assert read_members_csv(ROOT / "bot" / "data" / f"{slug}.csv")


# 9. Body import and /tally bodies ---------------------------------------------------------


def test_body_import_lists_every_problem_by_line_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "bodies.db"
    csv_file = write_csv(
        tmp_path / "council.csv",
        "code,name,joined,left,population,aliases",
        "AT,Austria,1995-01-01,,9104772,Österreich",
        "BE,Belgium,1958-01-01,,-5,",
        "CY,Cyprus,2004-05-01,2000-01-01,,",
        "AT,Austria again,1995-01-01,,,",
        "DK,Denmark,1973-13-01,,,",
        "EE,Estonia,2004-05-01,,,Österreich",
        f"FI,Finland,1995-01-01,,{2**64},",
    )
    result = tallybot("body", "import", str(csv_file), db=db)
    assert result.returncode == 1, result.stdout
    assert result.stderr.splitlines() == [
        "error: council.csv: nothing imported; fix these and import again:",
        "line 3: population -5 must be above 0",
        "line 4: left 2000-01-01 is not after joined 2004-05-01",
        "line 5: code AT is already used on line 2",
        "line 6: joined '1973-13-01' is not a date: write it as YYYY-MM-DD",
        "line 7: alias 'Österreich' of Estonia is already the alias of Austria (line 2)",
        f"line 8: population {2**64} is too large to store (at most 9,223,372,036,854,775,807)",
    ]
    bodies = json.loads(tallybot("exec", "--json", "/tally bodies", db=db).stdout)
    assert [b["slug"] for b in bodies["bodies"]] == ["eu", "nato", "unsc"]


def test_body_import_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        "code,name,joined\nAT,Austria,1995-01-01\nCZ,Tschechien,2004-05-01\nDE,Deutschland "
        "(Bundesrepublik) – Österreich,1958-01-01\n".encode("cp1252")
    )
    result = tallybot("body", "import", str(latin1), db=tmp_path / "latin1.db")
    assert result.returncode == 1
    assert "latin1.csv: line 4 is not UTF-8 text (byte 0x96)" in result.stderr
    assert "Traceback" not in result.stderr


def test_body_import_refuses_a_field_larger_than_csv_allows(tmp_path: Path) -> None:
    huge = write_csv(tmp_path / "huge.csv", "code,name,joined", f'AT,"{"a" * 140_000}",1995-01-01')
    result = tallybot("body", "import", str(huge), db=tmp_path / "huge.db")
    assert result.returncode == 1
    assert "huge.csv: line 2: a value is longer than 131,072 characters" in result.stderr


def test_an_imported_body_with_foroyar_resolves_foroyar(tmp_path: Path) -> None:
    db = tmp_path / "north.db"
    csv_file = write_csv(
        tmp_path / "north.csv",
        "code,name,joined",
        "FO,Føroyar,2000-01-01",
        "IS,Ísland,2000-01-01",
        "NO,Norge,2000-01-01",
    )
    assert tallybot("body", "import", str(csv_file), db=db).returncode == 0
    made = tallybot(
        "exec", '/tally tracker new nc-1 "Nordic" kind=approval rule=unanimity body=north', db=db
    )
    assert made.returncode == 0, made.stdout
    declared = tallybot("exec", "/tally declare foroyar support", db=db)
    assert declared.returncode == 0, declared.stdout
    assert "Føroyar" in declared.stdout


async def test_bodies_lists_every_body_for_everyone(run: Any) -> None:
    reply = await run("bodies", READER)
    assert reply.ok, reply.title
    assert reply.data["bodies"] == [
        {"slug": "eu", "name": "EU Council", "members": 27, "weighs_population": True},
        {"slug": "nato", "name": "NATO", "members": 32, "weighs_population": False},
        {"slug": "unsc", "name": "UN Security Council", "members": 15, "weighs_population": False},
    ]
    assert "eu — EU Council" in render_text(reply)


async def test_the_body_of_a_tracker_is_shown_not_silently_nato(run: Any) -> None:
    default = await run('tracker new q1 "Q" kind=approval rule=majority')
    assert default.lines[1].startswith("Body: NATO (nato), the default; give body= for another")
    chosen = await run('tracker new q2 "Q" kind=approval rule=qmv body=eu')
    assert "Body: EU Council (eu)" in chosen.lines
    listing = render_text(await run("trackers"))
    assert "body NATO (nato)" in listing and "body EU Council (eu)" in listing


def test_bodies_is_a_reserved_tracker_name() -> None:
    assert any(c.path == ("bodies",) and not c.moderator_only for c in COMMANDS)


async def test_no_tracker_can_be_named_bodies(core: Core, run: Any) -> None:
    title = await refused(core, run, 'tracker new bodies "B" kind=approval rule=majority')
    assert "can't be a tracker name" in title


# 10. exec --as "" -------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["", "   "])
def test_exec_as_a_blank_user_is_refused_not_run_as_the_administrator(
    tmp_path: Path, user: str
) -> None:
    db = tmp_path / "as.db"
    assert tallybot("demo", db=db).returncode == 0
    before = tallybot("exec", "--json", "/tally history", db=db).stdout
    result = tallybot("exec", "--as", user, "/tally declare LT oppose", db=db)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --as needs a user name, e.g. --as alice."
    assert tallybot("exec", "--json", "/tally history", db=db).stdout == before


# 11. Terminal escapes ---------------------------------------------------------------------

HOSTILE = "red\x1b[31m alarm\x1b]0;pwned\x07 bell\x07 csi\x9b2J del\x7f"


def test_control_characters_are_shown_not_obeyed() -> None:
    shown = neutralise(HOSTILE + "\nnext\tline")
    assert shown == (
        "red\\x1b[31m alarm\\x1b]0;pwned\\x07 bell\\x07 csi\\x9b2J del\\x7f\nnext\tline"
    )


async def test_console_rendering_neutralises_stored_escapes(run: Any, demo: None) -> None:
    recorded = await run(f'declare LT support rutte quote="{HOSTILE}" speaker="Ann\x1b[2J"')
    assert recorded.ok, recorded.title
    for text in ("position LT", "history"):
        rendered = render_text(await run(text))
        assert "\\x1b]0;pwned\\x07" in rendered
        assert not any(
            (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in rendered
        )


def test_exec_output_neutralises_escapes_and_json_keeps_them_escaped(tmp_path: Path) -> None:
    db = tmp_path / "esc.db"
    assert tallybot("demo", db=db).returncode == 0
    recorded = tallybot("exec", f'/tally declare LT support rutte quote="{HOSTILE}"', db=db)
    assert recorded.returncode == 0, recorded.stdout
    for args in (("exec", "/tally position LT"), ("exec", "--json", "/tally position LT")):
        out = subprocess.run(
            [*TALLYBOT, "--db", str(db), *args], capture_output=True, cwd=ROOT, timeout=60
        ).stdout
        assert b"\x1b" not in out and b"\x07" not in out and "\x9b".encode() not in out
    data = json.loads(tallybot("exec", "--json", "/tally position LT", db=db).stdout)
    assert data["position"]["quote"] == HOSTILE


def test_json_text_is_still_json() -> None:
    assert json.loads(json_text({"q": HOSTILE})) == {"q": HOSTILE}
