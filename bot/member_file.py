"""Reading a body's member list from CSV: every problem found, each with its line number.

A file is taken whole or not at all: `tallybot body import` writes nothing unless every line
is right, and the shipped lists in bot/data pass the same checks."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.errors import UserError
from bot.members import Member, normalise

COLUMNS = ("code", "name", "joined", "left", "population", "aliases")
REQUIRED = ("code", "name", "joined")
MAX_NAME = 200
MAX_POPULATION = 2**63 - 1
"""SQLite's largest INTEGER."""
MAX_PROBLEMS = 20
"""Problems listed before '... and N more': enough to fix a file in one go."""


@dataclass(frozen=True)
class _Row:
    line: int
    member: Member


def read_members_csv(path: Path) -> list[Member]:
    """The members listed in a UTF-8 CSV file (columns code,name,joined[,left,population,
    aliases]; aliases separated by ';'). A member with several terms has one line per term."""
    text = read_utf8(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fields = [f.strip().lower() for f in reader.fieldnames or []]
    except csv.Error as exc:
        raise UserError(f"{path.name}: line 1: {_csv_problem(exc)}.") from None
    reader.fieldnames = fields
    missing = [c for c in REQUIRED if c not in fields]
    if missing:
        raise UserError(
            f"{path.name}: the first line must name the columns; missing: {', '.join(missing)} "
            f"(columns: {','.join(COLUMNS)})."
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise UserError(f"{path.name}: line {reader.line_num + 1}: {_csv_problem(exc)}.") from None
    return parse_members_csv(rows, path.name)


def _csv_problem(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return f"a value is longer than {csv.field_size_limit():,} characters; names stay short"
    return str(exc)


def read_utf8(path: Path) -> str:
    """The file's text; a sentence naming the line when it is not UTF-8 or cannot be read."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a CSV file.") from None
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path.name}: line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}). "
            "Save the file as 'CSV UTF-8' and import it again."
        ) from None


def parse_members_csv(rows: Iterable[tuple[int, dict[str, str]]], source: str) -> list[Member]:
    """Members from (line number, row) pairs; every problem is listed, none is written."""
    problems: list[tuple[int, str]] = []
    parsed: list[_Row] = []
    for line, row in rows:
        member, errors = _member(row)
        problems += [(line, error) for error in errors]
        if member is not None:
            parsed.append(_Row(line, member))
    parsed, overlaps = merge_terms(parsed)
    problems += overlaps + clashes(parsed)
    if not parsed and not problems:
        raise UserError(f"{source}: the file lists no members.")
    if problems:
        shown = [f"line {line}: {text}" for line, text in sorted(problems)[:MAX_PROBLEMS]]
        more = len(problems) - len(shown)
        tail = [f"... and {more} more."] if more else []
        raise UserError(
            f"{source}: nothing imported; fix these and import again:\n" + "\n".join(shown + tail)
        )
    return [row.member for row in parsed]


def _member(row: dict[str, str]) -> tuple[Member | None, list[str]]:
    def cell(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    errors: list[str] = []
    code = cell("code").upper()
    if len(code) != 2 or not (code.isascii() and code.isalpha()):
        errors.append(f"code '{code}' is not a two-letter ISO 3166 code (e.g. AT)")
    name = cell("name")
    if not name:
        errors.append("name is empty")
    elif len(name) > MAX_NAME:
        errors.append(f"name is {len(name)} characters long; at most {MAX_NAME}")
    joined = _date(cell("joined"), "joined", errors, required=True)
    left = _date(cell("left"), "left", errors)
    if joined and left and left <= joined:
        errors.append(f"left {left} is not after joined {joined}")
    population = _population(cell("population"), errors)
    aliases = tuple(a.strip() for a in cell("aliases").split(";") if a.strip())
    errors += [
        f"alias '{a[:40]}...' is {len(a)} characters long; at most {MAX_NAME}"
        for a in aliases
        if len(a) > MAX_NAME
    ]
    if errors or joined is None:
        return None, errors
    member = Member(code, name, joined, left, population, aliases)
    return member, []


def _date(text: str, column: str, errors: list[str], required: bool = False) -> date | None:
    if not text:
        if required:
            errors.append(f"{column} is empty: give a date as YYYY-MM-DD")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{column} '{text}' is not a date: write it as YYYY-MM-DD")
        return None


def _population(text: str, errors: list[str]) -> int | None:
    if not text:
        return None
    digits = text.replace("_", "").replace(",", "").replace(" ", "")
    if not (digits.isascii() and digits.lstrip("-").isdigit()):
        errors.append(f"population '{text}' is not a whole number")
        return None
    number = int(digits)
    if number <= 0:
        errors.append(f"population {number} must be above 0")
    elif number > MAX_POPULATION:
        errors.append(f"population {text} is too large to store (at most {MAX_POPULATION:,})")
    else:
        return number
    return None


def merge_terms(rows: list[_Row]) -> tuple[list[_Row], list[tuple[int, str]]]:
    """Lines with the same code and name are terms of one member (UN Security Council elected
    members): one Member from the first term's start to the last one's end, the gaps between
    terms as breaks. Overlapping terms, or a term after an open-ended one, are problems."""
    groups: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.member.code, normalise(row.member.name)), []).append(row)
    merged: list[_Row] = []
    problems: list[tuple[int, str]] = []
    for row in rows:
        group = groups[(row.member.code, normalise(row.member.name))]
        if len(group) == 1:
            merged.append(row)
            continue
        if row is not group[0]:
            continue
        terms = sorted(group, key=lambda r: r.member.joined)
        breaks = []
        for before, after in itertools.pairwise(terms):
            if before.member.left is None or before.member.left > after.member.joined:
                problems.append(
                    (after.line, f"this term of {row.member.name} overlaps line {before.line}")
                )
            elif before.member.left < after.member.joined:
                breaks.append((before.member.left, after.member.joined))
        aliases = tuple(dict.fromkeys(a for r in terms for a in r.member.aliases))
        member = dataclasses.replace(
            terms[0].member,
            left=terms[-1].member.left,
            population=terms[-1].member.population,
            aliases=aliases,
            breaks=tuple(breaks),
        )
        merged.append(_Row(row.line, member))
    return merged, problems


def clashes(rows: Iterable[_Row]) -> list[tuple[int, str]]:
    """Codes, names and aliases that would name two members: a repeated code, or an alias
    that shadows another member's code, name or alias ('UK' for Ukraine beside the United
    Kingdom). The member listed first keeps the name; the later line is named."""
    owners: dict[str, tuple[_Row, str]] = {}
    problems: list[tuple[int, str]] = []
    rows = list(rows)
    spellings = [
        (row, what, text)
        for what in ("code", "name", "alias")
        for row in rows
        for text in _spellings(row.member, what)
    ]
    for row, what, text in spellings:
        key = normalise(text)
        if not key:
            continue
        owner = owners.get(key)
        if owner is None:
            owners[key] = (row, what)
            continue
        first, first_what = owner
        if first is row:
            continue  # a member's alias repeating its own name is harmless
        if what == "code" and first_what == "code":
            problems.append((row.line, f"code {text} is already used on line {first.line}"))
        else:
            problems.append(
                (
                    row.line,
                    f"{what} '{text}' of {row.member.name} is already the {first_what} of "
                    f"{first.member.name} (line {first.line})",
                )
            )
    return problems


def _spellings(member: Member, what: str) -> tuple[str, ...]:
    if what == "code":
        return (member.code,)
    if what == "name":
        return (member.name,)
    return member.aliases
