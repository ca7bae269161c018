"""A tracker's rows out of and into the database, for export and import (bot/exchange.py).

Rows are read with SELECT * and written back column by column, so a column or an event kind
added later travels in the export without a change here. Ids are the database's own: the
export keeps them as references between its sections; an import gives new ones, in the same
order (a tally breaks ties by declaration id, so the order is part of the record).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bot.errors import UserError
from bot.exchange import Record
from bot.rules import Rule
from store.sql import Db, insert, insert_many

_JSON_COLUMNS = {"trackers": ("stages",), "amendments": ("changes",)}
"""Columns stored as JSON text: exported as the JSON they hold."""
_KEYS = {"retractions": "declaration_id"}
"""Rows are read in the order of their key: `id`, unless named here."""


def export_record(db: Db, tracker_id: int) -> Record:
    """Everything about one tracker, as plain JSON-ready values."""
    tracker = _rows(db, "trackers", "id = ?", [tracker_id])[0]
    del tracker["id"]
    tracker.pop("community_id", None)  # the importing community owns the copy
    where = "tracker_id = ?"
    candidates = [_without(r, "tracker_id") for r in _rows(db, "candidates", where, [tracker_id])]
    retractions = {
        r.pop("declaration_id"): r
        for r in _rows(
            db,
            "retractions",
            "declaration_id IN (SELECT id FROM declarations WHERE tracker_id = ?)",
            [tracker_id],
        )
    }
    amendments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(
        db,
        "amendments",
        "declaration_id IN (SELECT id FROM declarations WHERE tracker_id = ?)",
        [tracker_id],
    ):
        amendments[row.pop("declaration_id")].append(_without(row, "id"))
    declarations = []
    for row in _rows(db, "declarations", where, [tracker_id]):
        row = _without(row, "tracker_id")
        row["retraction"] = retractions.get(row["id"])
        row["amendments"] = amendments.get(row["id"], [])
        declarations.append(row)
    events = [
        _without(r, "id", "tracker_id") for r in _rows(db, "tracker_events", where, [tracker_id])
    ]
    return {
        "tracker": tracker,
        "candidates": candidates,
        "declarations": declarations,
        "events": events,
    }


def import_record(
    db: Db,
    record: Record,
    slug: str,
    by: str,
    now: datetime,
    community_id: int | None = None,
) -> int:
    """Recreate a tracker from its record (checked by bot.exchange.check_record) under `slug`.

    The caller holds the transaction: a refusal or a failure leaves nothing behind."""
    try:
        return _import(db, record, slug, by, now, community_id)
    except db.integrity_error as exc:
        raise UserError(
            f"The export is incomplete or inconsistent ({exc}); nothing imported."
        ) from None


def _import(
    db: Db, record: Record, slug: str, by: str, now: datetime, community_id: int | None
) -> int:
    if db.count_where(
        "trackers", "slug = ? AND community_id IS NOT DISTINCT FROM ?", [slug, community_id]
    ):
        raise UserError(
            f"A tracker '{slug}' already exists: import under another name with --as-slug NEW."
        )
    tracker = {**record["tracker"], "slug": slug, "community_id": community_id}
    body = tracker["body"]
    if not db.count_where("bodies", "slug = ?", [body]):
        raise UserError(
            f"The tracker's body '{body}' is not in this database: import it first "
            f"(tallybot body import FILE --slug {body})."
        )
    codes = {r[0] for r in db.execute("SELECT code FROM members WHERE body = ?", [body])}
    rule = Rule.parse(tracker["rule"])
    named = {*rule.veto, *rule.excluded, *rule.participants}
    if named - codes:
        raise UserError(
            f"The tracker's rule names {', '.join(sorted(named - codes))}, not members of "
            f"'{body}' here: update the body's member list first."
        )
    unknown = sorted({d["member"] for d in record["declarations"]} - codes)
    if unknown:
        raise UserError(
            f"Declarations name {', '.join(unknown)}, not members of '{body}' here: "
            "update the body's member list first."
        )
    tracker_id = _insert(db, "trackers", tracker)
    candidate_ids = _insert_renumbered(
        db, "candidates", record["candidates"], {"tracker_id": tracker_id}
    )
    declarations = [
        {
            **{k: v for k, v in d.items() if k not in ("retraction", "amendments")},
            "candidate_id": candidate_ids.get(d.get("candidate_id")),
        }
        for d in record["declarations"]
    ]
    declaration_ids = _insert_renumbered(
        db, "declarations", declarations, {"tracker_id": tracker_id}
    )
    retractions = [
        {**d["retraction"], "declaration_id": declaration_ids[d["id"]]}
        for d in record["declarations"]
        if d.get("retraction")
    ]
    amendments = [
        {**a, "declaration_id": declaration_ids[d["id"]]}
        for d in record["declarations"]
        for a in d.get("amendments") or []
    ]
    _insert_all(db, "retractions", retractions)
    _insert_all(db, "amendments", amendments)
    _insert_all(db, "tracker_events", [{**e, "tracker_id": tracker_id} for e in record["events"]])
    _insert(
        db,
        "tracker_events",
        {
            "tracker_id": tracker_id,
            "kind": "imported",
            "detail": json.dumps({"from_slug": record["tracker"]["slug"]}, ensure_ascii=False),
            "made_on": now.date().isoformat(),
            "recorded_by": by,
            "recorded_at": now.astimezone(UTC).isoformat(),
        },
    )
    return tracker_id


def _rows(db: Db, table: str, where: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = [
        dict(r)
        for r in db.query(
            f"SELECT * FROM {table} WHERE {where} ORDER BY {_KEYS.get(table, 'id')}", params
        )
    ]
    for column in _JSON_COLUMNS.get(table, ()):
        for row in rows:
            row[column] = json.loads(row[column])
    return rows


def _without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def _stored(row: dict[str, Any], table: str, columns: set[str]) -> dict[str, Any]:
    """The row as the table stores it: JSON columns as text, unknown fields refused."""
    if not set(row) <= columns:
        raise UserError(
            f"The export has {table} fields this tallybot does not know: "
            f"{', '.join(sorted(set(row) - columns))} (written by a newer version?)."
        )
    stored = dict(row)
    for column in _JSON_COLUMNS.get(table, ()):
        if column in stored:
            stored[column] = json.dumps(stored[column], ensure_ascii=False)
    return stored


def _insert(db: Db, table: str, row: dict[str, Any]) -> int:
    return insert(db, table, _stored(row, table, set(db.columns(table))))


def _insert_all(db: Db, table: str, rows: list[dict[str, Any]]) -> None:
    columns = set(db.columns(table))
    if rows:
        insert_many(db, table, (_stored(r, table, columns) for r in rows))


def _insert_renumbered(
    db: Db, table: str, rows: list[dict[str, Any]], extra: dict[str, Any]
) -> dict[int, int]:
    """Insert with new ids after the table's last, in the export's order: old id -> new id."""
    start = db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
    mapping = {row["id"]: start + index for index, row in enumerate(rows, 1)}
    _insert_all(db, table, [{**row, **extra, "id": mapping[row["id"]]} for row in rows])
    return mapping
