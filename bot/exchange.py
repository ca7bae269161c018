"""Export and import formats of a tracker: pure shaping and validation, no database.

The JSON export is the lossless record (`"format": "tallybot-tracker", "version": 1`): the
tracker row, its candidates, every declaration with its retraction and amendments, and every
tracker event, each section as the rows the store holds (new columns and new event kinds travel
without code changes). The CSV export is for people: one row per declaration, amendments
applied, opened cleanly by a spreadsheet. A CSV roll-call is read here and checked line by line
by the same code as /tally declare (bot/commands/exchange.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from bot.domain import Confidence, Stance
from bot.errors import UserError
from bot.members import Body
from bot.replies import counted
from bot.rules import Rule

FORMAT = "tallybot-tracker"
VERSION = 1
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"

Record = dict[str, Any]
"""A tracker's whole record, as in the JSON export."""

CSV_COLUMNS = (
    "id",
    "date",
    "member code",
    "member name",
    "stance",
    "candidate or stage",
    "source",
    "quote",
    "speaker",
    "confidence",
    "condition",
    "recorded at",
    "recorded by",
    "retracted",
    "retraction reason",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets."""

ROLL_CALL_REQUIRED = ("member", "stance", "date")
ROLL_CALL_OPTIONAL = ("candidate", "source", "quote", "speaker", "confidence", "condition")
_ROLL_CALL_SYNONYMS = {
    "member code": "member",
    "code": "member",
    "candidate or stage": "candidate",
    "stage": "candidate",
}
_EXPORT_ONLY = {"id", "member name", "recorded at", "recorded by", "retraction reason"}
"""Columns of our own CSV export that a roll-call import ignores (so an export reads back)."""
MAX_FIELD = 128 * 1024
MAX_LISTED_ERRORS = 20


# JSON --------------------------------------------------------------------------------------


def to_json(record: Record, exported_at: datetime) -> bytes:
    document = {"format": FORMAT, "version": VERSION, "exported_at": exported_at.isoformat()}
    document.update(record)
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def parse_json(data: bytes) -> Record:
    """The record inside an export, checked enough that importing it cannot half-work."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UserError("The file is not UTF-8 text: is it a tallybot JSON export?") from None
    except ValueError as exc:
        raise UserError(f"The file is not valid JSON ({exc}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UserError(f'Not a tallybot tracker export (no "format": "{FORMAT}").')
    if document.get("version") != VERSION:
        raise UserError(
            f"Export version {document.get('version')!r} is not one this tallybot reads "
            f"(it reads version {VERSION}): import it with the tallybot that wrote it."
        )
    record = {k: document.get(k) for k in ("tracker", "candidates", "declarations", "events")}
    check_record(record)
    return record


def check_record(record: Mapping[str, Any]) -> None:
    """Shape and values of every section, each problem named by where it is."""
    tracker = record.get("tracker")
    if not isinstance(tracker, dict):
        raise UserError('The export has no "tracker" object.')
    for key in ("slug", "title", "body", "kind", "rule", "opened", "created_by", "created_at"):
        if not isinstance(tracker.get(key), str) or not tracker[key]:
            raise UserError(f'The export\'s tracker has no "{key}".')
    _iso_date(tracker["opened"], "tracker.opened")
    try:
        Rule.parse(tracker["rule"])
    except UserError as exc:
        raise UserError(
            f"The export's tracker.rule '{tracker['rule']}' does not read: {exc}"
        ) from None
    sections: dict[str, list[dict[str, Any]]] = {}
    for name in ("candidates", "declarations", "events"):
        rows = record.get(name)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise UserError(f'The export\'s "{name}" is not a list of objects.')
        sections[name] = rows
    candidate_ids = {c.get("id") for c in sections["candidates"]}
    for index, candidate in enumerate(sections["candidates"]):
        if not isinstance(candidate.get("id"), int) or not candidate.get("name"):
            raise UserError(f"candidates[{index}] needs an id and a name.")
    for index, row in enumerate(sections["declarations"]):
        _check_declaration(row, f"declarations[{index}]", candidate_ids)
    for index, row in enumerate(sections["events"]):
        where = f"events[{index}]"
        for key in ("kind", "made_on", "recorded_by", "recorded_at"):
            if not isinstance(row.get(key), str):
                raise UserError(f'{where} has no "{key}".')


def _check_declaration(row: Mapping[str, Any], where: str, candidate_ids: set[Any]) -> None:
    if not isinstance(row.get("id"), int):
        raise UserError(f"{where} has no id.")
    for key in ("member", "stance", "made_on", "recorded_by", "recorded_at"):
        if not isinstance(row.get(key), str):
            raise UserError(f'{where} has no "{key}".')
    _iso_date(row["made_on"], f"{where}.made_on")
    if row["stance"] not in set(Stance):
        raise UserError(f"{where}: unknown stance '{row['stance']}'.")
    if row.get("confidence", "official") not in set(Confidence):
        raise UserError(f"{where}: unknown confidence '{row.get('confidence')}'.")
    if row.get("candidate_id") is not None and row["candidate_id"] not in candidate_ids:
        raise UserError(f"{where} names candidate {row['candidate_id']}, not in the export.")
    retraction = row.get("retraction")
    if retraction is not None and not (
        isinstance(retraction, dict) and isinstance(retraction.get("reason"), str)
    ):
        raise UserError(f"{where}: its retraction needs a reason.")
    amendments = row.get("amendments") or []
    if not isinstance(amendments, list) or not all(
        isinstance(a, dict) and isinstance(a.get("changes"), dict) for a in amendments
    ):
        raise UserError(f"{where}: amendments must be objects with their changes.")


def _iso_date(text: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise UserError(f"{where} '{text}' is not a YYYY-MM-DD date.") from None


def members_named(record: Record) -> set[str]:
    return {d["member"] for d in record["declarations"]}


# CSV export --------------------------------------------------------------------------------


def to_csv(record: Record, body: Body) -> bytes:
    """UTF-8 with a byte-order mark: Excel reads a CSV without one in the local code page
    (Türkiye, Szijjártó come out garbled); LibreOffice, Numbers and Google Sheets accept it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(record, body))
    return out.getvalue().encode("utf-8-sig")


def csv_rows(record: Record, body: Body) -> Iterable[list[str]]:
    names = {m.code: m.name for m in body.members}
    candidates = {c["id"]: c["name"] for c in record["candidates"]}
    for row in record["declarations"]:
        current = amended(row)
        retraction = row.get("retraction") or {}
        target = candidates.get(current.get("candidate_id")) or current.get("stage")
        cells = [
            row["id"],
            current["made_on"],
            current["member"],
            names.get(current["member"], ""),
            current["stance"],
            target,
            current.get("source"),
            current.get("quote"),
            current.get("speaker"),
            _given(current.get("confidence")),
            current.get("condition"),
            current["recorded_at"],
            current["recorded_by"],
            "yes" if retraction else "",
            retraction.get("reason"),
        ]
        yield [safe_cell(c) for c in cells]


def _given(confidence: str | None) -> str | None:
    """A confidence nobody gave is a blank cell, as a roll-call without one reads back."""
    return None if confidence == Confidence.UNSTATED else confidence


def amended(row: Mapping[str, Any]) -> dict[str, Any]:
    """A declaration as it reads now: the original with its amendments applied in order."""
    current = {k: v for k, v in row.items() if k not in ("retraction", "amendments")}
    for amendment in row.get("amendments") or []:
        current.update(amendment["changes"])
    return current


def safe_cell(value: Any) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe defuses =, +, -, @ (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# CSV roll-call import ----------------------------------------------------------------------


def read_roll_call(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each non-blank line of a roll-call CSV."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(
            f"Line {line} is not UTF-8 text: save the file as 'CSV UTF-8' and import it again."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise UserError("The file is empty: the first line names the columns.")
        columns = _roll_call_columns(header)
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            number = reader.line_num
            if len(cells) > len(columns):
                raise UserError(
                    f"Line {number} has {len(cells)} cells for {len(columns)} columns "
                    "(a comma in a value needs quotes around it)."
                )
            row = {
                name: _unguard(cell.strip())
                for name, cell in zip(columns, cells, strict=False)
                if name
            }
            rows.append((number, row))
    except csv.Error as exc:
        raise UserError(f"Line {reader.line_num}: {_csv_problem(exc)}") from None
    return rows


def _csv_problem(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a value is longer than {MAX_FIELD // 1024} KiB."
    return f"not readable as CSV ({exc})."


def _roll_call_columns(header: list[str]) -> list[str | None]:
    """Column names normalised; None for our export's own columns (ignored)."""
    known = {*ROLL_CALL_REQUIRED, *ROLL_CALL_OPTIONAL, "retracted"}
    columns: list[str | None] = []
    unknown = []
    for raw in header:
        name = " ".join(raw.strip().lower().replace("_", " ").split())
        name = _ROLL_CALL_SYNONYMS.get(name, name)
        if name in known:
            columns.append(name)
        elif name in _EXPORT_ONLY:
            columns.append(None)
        else:
            columns.append(None)
            unknown.append(raw.strip() or "(blank)")
    if unknown:
        raise UserError(
            f"Unknown column {', '.join(unknown)}. Columns: "
            f"{', '.join(ROLL_CALL_REQUIRED)} (required), {', '.join(ROLL_CALL_OPTIONAL)}."
        )
    missing = [c for c in ROLL_CALL_REQUIRED if c not in columns]
    if missing:
        raise UserError(
            f"The first line must name the columns; missing: {', '.join(missing)}. "
            f"Optional: {', '.join(ROLL_CALL_OPTIONAL)}."
        )
    return columns


def _unguard(cell: str) -> str:
    """Undo safe_cell, so a CSV export reads back as it was written."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def refusal(errors: list[str], total: int) -> UserError:
    """All or nothing: one sentence naming each bad line (the first few of many)."""
    listed = errors[:MAX_LISTED_ERRORS]
    more = f"\n…and {len(errors) - len(listed)} more." if len(errors) > len(listed) else ""
    return UserError(
        f"Nothing imported: {len(errors)} of {counted(total, 'line')} "
        f"{'is' if len(errors) == 1 else 'are'} wrong.\n" + "\n".join(listed) + more
    )
