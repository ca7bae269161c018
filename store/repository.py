"""Synchronous queries and writes of the records, in SQL both engines run (store.sql).
Callers hold the transaction."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from bot.communities import Community, split_qualified
from bot.domain import (
    AMENDABLE,
    Amendment,
    Candidate,
    Confidence,
    Declaration,
    NewDeclaration,
    Retraction,
    Stance,
    Tracker,
    TrackerKind,
    TrackerStatus,
    TrackerVisibility,
)
from bot.errors import NotFound, UserError
from bot.members import SHIPPED_BODIES, Body, Member, shipped_body
from bot.rules import Rule
from bot.timeline import PositionRow
from store import communities, exchange
from store.sql import Db, insert, insert_many, insert_row, update


def utc_text(moment: datetime) -> str:
    """Timezone-aware UTC, ISO 8601: refuses naive datetimes rather than guess their zone."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


_DECLARATION_COLUMNS = """
    d.id, d.tracker_id, d.member, d.stance, d.candidate_id, d.stage, d.made_on, d.source,
    d.quote, d.speaker, d.confidence, d.condition, d.recorded_by, d.recorded_at,
    r.reason AS r_reason, r.recorded_by AS r_by, r.recorded_at AS r_at
"""


class Repository:
    """All records when `community_id` is None (the launcher, alerts, the web pages); one
    community's view otherwise (`scoped`: what a command sees)."""

    def __init__(
        self, db: Db, community_id: int | None = None, bodies: dict[str, Body] | None = None
    ) -> None:
        self.db = db
        self.community_id = community_id
        self._bodies: dict[str, Body] = {} if bodies is None else bodies

    def scoped(self, community_id: int) -> Repository:
        """The records as one community sees them (the body cache is shared)."""
        return Repository(self.db, community_id, self._bodies)

    # communities ------------------------------------------------------------

    def community_of(self, platform: str, workspace: str) -> Community | None:
        return communities.community_of(self.db, platform, workspace)

    def community_by_slug(self, slug: str) -> Community | None:
        return communities.community_by_slug(self.db, slug)

    def create_community(
        self, platform: str, workspace: str, now: datetime, enterprise: str | None = None
    ) -> Community:
        return communities.create_community(self.db, platform, workspace, utc_text(now), enterprise)

    def new_community(self, slug: str, now: datetime) -> Community:
        return communities.new_community(self.db, slug, utc_text(now))

    def join_community(
        self, platform: str, workspace: str, community_id: int, now: datetime
    ) -> None:
        communities.join_community(self.db, platform, workspace, community_id, utc_text(now))

    def community_name_of(self, tracker: Tracker) -> str:
        """The slug of the community that owns `tracker` (how others name it)."""
        row = self.db.execute(
            "SELECT slug FROM communities WHERE id = ?", [tracker.community_id]
        ).fetchone()
        return str(row[0]) if row else ""

    def community_members(self, community_id: int) -> list[tuple[str, str]]:
        return communities.members(self.db, community_id)

    def community_moderators(self, community_id: int) -> list[str]:
        return communities.moderators(self.db, community_id)

    def rename_community(self, community_id: int, slug: str) -> Community:
        return communities.rename(self.db, community_id, slug)

    def add_invite(
        self, community_id: int, code: str, by: str, now: datetime, expires_at: datetime
    ) -> None:
        communities.add_invite(self.db, community_id, code, by, utc_text(now), utc_text(expires_at))

    def use_invite(self, code: str, by: str, now: datetime) -> Community | None:
        return communities.use_invite(self.db, code, by, utc_text(now))

    def move_workspace(
        self, platform: str, workspace: str, target: Community, now: datetime
    ) -> list[str]:
        return communities.move_workspace(self.db, platform, workspace, target, utc_text(now))

    def leave_community(self, platform: str, workspace: str, now: datetime) -> Community:
        return communities.leave(self.db, platform, workspace, utc_text(now))

    def _own(self, alias: str = "") -> tuple[str, list[Any]]:
        """SQL condition (and its parameter) keeping this community's trackers: none when
        unscoped."""
        if self.community_id is None:
            return "TRUE", []
        return f"{alias}community_id = ?", [self.community_id]

    # bodies -----------------------------------------------------------------

    def ensure_shipped_bodies(self, now: datetime) -> None:
        for slug in SHIPPED_BODIES:
            if not self.db.count_where("bodies", "slug = ?", [slug]):
                body = shipped_body(slug)
                self.save_body(body.slug, body.name, body.members, now)

    def save_body(self, slug: str, name: str, members: Iterable[Member], now: datetime) -> None:
        """Create or replace a body's member list (one transaction, held by the caller).

        Refuses to drop a member that declarations already name: their history would break."""
        members = list(members)
        kept = {m.code for m in members}
        named = {
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT d.member FROM declarations d "
                "JOIN trackers t ON t.id = d.tracker_id WHERE t.body = ?",
                [slug],
            )
        }
        if named - kept:
            raise UserError(
                f"The new list leaves out {', '.join(sorted(named - kept))}, which declarations "
                f"on {slug} trackers name: keep them (give a left date instead)."
            )
        owner = self.db.execute("SELECT community_id FROM bodies WHERE slug = ?", [slug]).fetchone()
        if owner is not None and self.community_id is not None and owner[0] != self.community_id:
            raise UserError(f"The body name {slug} is taken: import it under another --slug.")
        self.db.execute(
            "INSERT INTO bodies (slug, name, created_at) VALUES (?, ?, ?) ON CONFLICT (slug) "
            "DO UPDATE SET name = excluded.name, created_at = excluded.created_at",
            [slug, name, utc_text(now)],
        )
        if self.community_id is not None and owner is None:
            self.db.execute(
                "UPDATE bodies SET community_id = ? WHERE slug = ?", [self.community_id, slug]
            )
        self.db.execute("DELETE FROM members WHERE body = ?", [slug])
        insert_many(
            self.db,
            "members",
            (
                {
                    "body": slug,
                    "code": m.code,
                    "name": m.name,
                    "joined": m.joined.isoformat(),
                    "left_on": m.left.isoformat() if m.left else None,
                    "population": m.population,
                    "aliases": json.dumps(list(m.aliases), ensure_ascii=False),
                    "breaks": json.dumps([[s.isoformat(), u.isoformat()] for s, u in m.breaks]),
                }
                for m in members
            ),
        )
        self._bodies.clear()  # every body knows the others' members (see Body.elsewhere)

    def body(self, slug: str) -> Body:
        if slug not in self._bodies:
            row = self.db.execute("SELECT name FROM bodies WHERE slug = ?", [slug]).fetchone()
            if row is None or not self._body_visible(slug):
                known = ", ".join(self.body_slugs())
                raise NotFound(f"No body '{slug}'. Known bodies: {known}.")
            rows = list(self.db.query("SELECT * FROM members ORDER BY body, code"))
            members = tuple(_member(r) for r in rows if r["body"] == slug)
            elsewhere = tuple(_member(r) for r in rows if r["body"] != slug)
            self._bodies[slug] = Body(slug, row[0], members, elsewhere)
        if not self._body_visible(slug):
            known = ", ".join(self.body_slugs())
            raise NotFound(f"No body '{slug}'. Known bodies: {known}.")
        return self._bodies[slug]

    def _body_visible(self, slug: str) -> bool:
        """Shipped bodies are everyone's; an imported one is its community's."""
        if self.community_id is None:
            return True
        row = self.db.execute("SELECT community_id FROM bodies WHERE slug = ?", [slug]).fetchone()
        return row is not None and row[0] in (None, self.community_id)

    def body_slugs(self) -> list[str]:
        own, params = self._own()
        return [
            r[0]
            for r in self.db.execute(
                f"SELECT slug FROM bodies WHERE community_id IS NULL OR {own} ORDER BY slug",
                params,
            )
        ]

    # trackers ---------------------------------------------------------------

    def create_tracker(
        self,
        *,
        slug: str,
        title: str,
        body: str,
        kind: TrackerKind,
        rule: Rule,
        opened: date,
        candidates: Iterable[str],
        stages: Iterable[str],
        subject: str | None,
        created_by: str,
        now: datetime,
        visibility: TrackerVisibility = TrackerVisibility.PRIVATE,
    ) -> Tracker:
        tracker_id = insert(
            self.db,
            "trackers",
            {
                "slug": slug,
                "title": title,
                "body": body,
                "kind": str(kind),
                "rule": str(rule),
                "opened": opened.isoformat(),
                "status": str(TrackerStatus.OPEN),
                "subject": subject,
                "visibility": str(visibility),
                "stages": json.dumps(list(stages), ensure_ascii=False),
                "created_by": created_by,
                "created_at": utc_text(now),
                "community_id": self.community_id,
            },
        )
        insert_many(
            self.db, "candidates", ({"tracker_id": tracker_id, "name": name} for name in candidates)
        )
        self.add_tracker_event(tracker_id, "opened", title, opened, created_by, now)
        return self.tracker_by_id(tracker_id)

    def tracker_exists(self, slug: str) -> bool:
        """Whether this community has a tracker of that slug (any community, unscoped)."""
        own, params = self._own()
        return bool(self.db.count_where("trackers", f"slug = ? AND {own}", [slug, *params]))

    def tracker_by_id(self, tracker_id: int) -> Tracker:
        """Scoped: the community's own trackers and other communities' public ones."""
        own, params = self._own()
        rows = list(
            self.db.query(
                f"SELECT * FROM trackers WHERE id = ? AND ({own} OR visibility = 'public')",
                [tracker_id, *params],
            )
        )
        if not rows:
            raise NotFound(f"No tracker with id {tracker_id}.")
        return self._tracker(rows[0])

    def tracker_by_slug(self, slug: str) -> Tracker | None:
        """`SLUG` is this community's tracker; `COMMUNITY/SLUG` another community's public one
        (or this community's own). Unscoped (the web pages), a bare slug is the oldest public
        tracker of that name, else the oldest of that name."""
        community_slug, slug = split_qualified(slug)
        if community_slug is not None:
            rows = list(
                self.db.query(
                    "SELECT t.* FROM trackers t JOIN communities c ON c.id = t.community_id "
                    "WHERE c.slug = ? AND t.slug = ? "
                    "AND (t.visibility = 'public' OR t.community_id IS NOT DISTINCT FROM ?)",
                    [community_slug, slug, self.community_id],
                )
            )
        else:
            own, params = self._own()
            rows = list(
                self.db.query(
                    f"SELECT * FROM trackers WHERE slug = ? AND {own} "
                    "ORDER BY visibility = 'public' DESC, id LIMIT 1",
                    [slug, *params],
                )
            )
        return self._tracker(rows[0]) if rows else None

    def trackers(
        self,
        status: TrackerStatus | None = None,
        limit: int = 50,
        include_archived: bool = True,
    ) -> list[Tracker]:
        conditions, params = (["status = ?"], [str(status)]) if status else ([], [])
        own, own_params = self._own()
        conditions.append(own)
        params += own_params
        if not include_archived:
            conditions.append("archived_at IS NULL")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self.db.query(
            f"SELECT * FROM trackers {where} "
            "ORDER BY status = 'open' DESC, opened DESC, id DESC LIMIT ?",
            [*params, _limit(limit)],
        )
        return [self._tracker(r) for r in rows]

    def tracker_slugs(self) -> list[str]:
        own, params = self._own()
        return [
            r[0]
            for r in self.db.execute(f"SELECT slug FROM trackers WHERE {own} ORDER BY slug", params)
        ]

    def public_tracker_ids(self, limit: int) -> list[int]:
        """Public trackers outside the archive, in the order of /tally trackers (open first)."""
        rows = self.db.execute(
            "SELECT id FROM trackers WHERE visibility = 'public' AND archived_at IS NULL "
            "ORDER BY status = 'open' DESC, opened DESC, id DESC LIMIT ?",
            [_limit(limit)],
        )
        return [row[0] for row in rows]

    def change_stamp(self) -> tuple[int, int]:
        """Changes to the database since this connection last looked (the engine's own
        counters, see store.sql.Db). Equal stamps mean nothing was written in between, so
        anything read under the first still holds."""
        return self.db.change_stamp()

    def last_change(self, tracker_id: int) -> datetime | None:
        """The newest recording among the tracker's declarations, retractions, amendments and
        events (edits, visibility, withdrawals and closes are events)."""
        row = self.db.execute(
            """
            SELECT
                (SELECT MAX(recorded_at) FROM declarations WHERE tracker_id = :t),
                (SELECT MAX(r.recorded_at) FROM retractions r
                 JOIN declarations d ON d.id = r.declaration_id WHERE d.tracker_id = :t),
                (SELECT MAX(a.recorded_at) FROM amendments a
                 JOIN declarations d ON d.id = a.declaration_id WHERE d.tracker_id = :t),
                (SELECT MAX(recorded_at) FROM tracker_events WHERE tracker_id = :t)
            """,
            {"t": tracker_id},
        ).fetchone()
        # The latest of the four in Python: SQLite's scalar MAX(a, b) is GREATEST elsewhere.
        latest = max((text for text in row if text), default=None)
        return datetime.fromisoformat(latest).astimezone(UTC) if latest else None

    def revision(self, tracker_id: int) -> tuple[int, ...]:
        """How many declarations, retractions, amendments and events the tracker has: every
        change adds a row to one of them (edits of the tracker itself are events)."""
        row = self.db.execute(
            """
            SELECT
                (SELECT COUNT(*) FROM declarations WHERE tracker_id = :t),
                (SELECT COUNT(*) FROM retractions r
                 JOIN declarations d ON d.id = r.declaration_id WHERE d.tracker_id = :t),
                (SELECT COUNT(*) FROM amendments a
                 JOIN declarations d ON d.id = a.declaration_id WHERE d.tracker_id = :t),
                (SELECT COUNT(*) FROM tracker_events WHERE tracker_id = :t)
            """,
            {"t": tracker_id},
        ).fetchone()
        return tuple(int(n) for n in row)

    def _tracker(self, row: dict[str, Any]) -> Tracker:
        candidates = tuple(
            Candidate(r["id"], r["name"], _date(r["withdrawn_on"]))
            for r in self.db.query(
                "SELECT * FROM candidates WHERE tracker_id = ? ORDER BY id", [row["id"]]
            )
        )
        return Tracker(
            id=row["id"],
            slug=row["slug"],
            title=row["title"],
            body=row["body"],
            kind=TrackerKind(row["kind"]),
            rule=Rule.parse(row["rule"]),
            opened=date.fromisoformat(row["opened"]),
            status=TrackerStatus(row["status"]),
            outcome=row["outcome"],
            closed_on=_date(row["closed_on"]),
            subject=row["subject"],
            candidates=candidates,
            stages=tuple(json.loads(row["stages"])),
            visibility=TrackerVisibility(row["visibility"]),
            archived_at=_moment(row["archived_at"]),
            community_id=row["community_id"],
        )

    def update_tracker(self, tracker_id: int, values: dict[str, Any]) -> None:
        """Store new column values (dates and rules as text); the caller records the event."""
        update(self.db, "trackers", tracker_id, {k: _column_text(v) for k, v in values.items()})

    def add_candidate(self, tracker_id: int, name: str) -> None:
        insert(self.db, "candidates", {"tracker_id": tracker_id, "name": name})

    def rename_candidate(self, candidate_id: int, name: str) -> None:
        update(self.db, "candidates", candidate_id, {"name": name})

    def reinstate_candidate(self, candidate_id: int) -> None:
        update(self.db, "candidates", candidate_id, {"withdrawn_on": None})

    def tracker_events(self, tracker_id: int) -> list[dict[str, Any]]:
        """Every recorded event of a tracker (opened, edits, withdrawals, closes), oldest first."""
        return list(
            self.db.query(
                "SELECT * FROM tracker_events WHERE tracker_id = ? ORDER BY id", [tracker_id]
            )
        )

    def amendment_events(self, tracker_id: int) -> list[dict[str, Any]]:
        """Amendments of the tracker's declarations, shaped as tracker events (kind 'amended',
        dated the day they were recorded) so history lists them among the other changes."""
        rows = self.db.query(
            "SELECT a.id, a.declaration_id, d.member, a.changes, a.recorded_by, a.recorded_at "
            "FROM amendments a JOIN declarations d ON d.id = a.declaration_id "
            "WHERE d.tracker_id = ? ORDER BY a.id",
            [tracker_id],
        )
        return [
            {
                "id": row["id"],
                "kind": "amended",
                "detail": json.dumps(
                    {
                        "declaration": row["declaration_id"],
                        "member": row["member"],
                        "changes": json.loads(row["changes"]),
                    },
                    ensure_ascii=False,
                ),
                "made_on": datetime.fromisoformat(row["recorded_at"]).date().isoformat(),
                "recorded_by": row["recorded_by"],
                "recorded_at": row["recorded_at"],
            }
            for row in rows
        ]

    def first_declaration_on(self, tracker_id: int) -> date | None:
        """The earliest date of a standing or retracted declaration: an opening may not pass it."""
        row = self.db.execute(
            "SELECT MIN(made_on) FROM declarations WHERE tracker_id = ?", [tracker_id]
        ).fetchone()
        return _date(row[0])

    def last_declaration_on(self, tracker_id: int) -> date | None:
        row = self.db.execute(
            "SELECT MAX(made_on) FROM declarations WHERE tracker_id = ?", [tracker_id]
        ).fetchone()
        return _date(row[0])

    def declaration_dates(self, tracker_id: int) -> list[date]:
        """Each date on which a declaration was made, oldest first."""
        return [
            date.fromisoformat(r[0])
            for r in self.db.execute(
                "SELECT DISTINCT made_on FROM declarations WHERE tracker_id = ? ORDER BY made_on",
                [tracker_id],
            )
        ]

    def declared_members(self, tracker_id: int) -> set[str]:
        return {
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT member FROM declarations WHERE tracker_id = ?", [tracker_id]
            )
        }

    def withdraw_candidate(self, candidate_id: int, on: date) -> None:
        update(self.db, "candidates", candidate_id, {"withdrawn_on": on.isoformat()})

    def close_tracker(self, tracker_id: int, status: TrackerStatus, outcome: str, on: date) -> None:
        update(
            self.db,
            "trackers",
            tracker_id,
            {"status": str(status), "outcome": outcome, "closed_on": on.isoformat()},
        )

    def add_tracker_event(
        self, tracker_id: int, kind: str, detail: str, on: date, by: str, now: datetime
    ) -> int:
        return insert(
            self.db,
            "tracker_events",
            {
                "tracker_id": tracker_id,
                "kind": kind,
                "detail": detail,
                "made_on": on.isoformat(),
                "recorded_by": by,
                "recorded_at": utc_text(now),
            },
        )

    # declarations -----------------------------------------------------------

    def add_declaration(self, new: NewDeclaration) -> Declaration:
        declaration_id = insert(self.db, "declarations", _declaration_row(new))
        return self.declaration(declaration_id)

    def add_amendment(
        self, declaration_id: int, changes: dict[str, str | None], by: str, now: datetime
    ) -> None:
        insert(
            self.db,
            "amendments",
            {
                "declaration_id": declaration_id,
                "changes": json.dumps(changes, ensure_ascii=False),
                "recorded_by": by,
                "recorded_at": utc_text(now),
            },
        )

    def _amended(self, declarations: list[Declaration]) -> list[Declaration]:
        """The declarations with their amendments applied in order (one query per 500)."""
        found: dict[int, list[Amendment]] = {}
        ids = [d.id for d in declarations]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(
                f"SELECT * FROM amendments WHERE declaration_id IN ({marks}) ORDER BY id", chunk
            ):
                found.setdefault(row["declaration_id"], []).append(
                    Amendment(
                        tuple(json.loads(row["changes"]).items()),
                        row["recorded_by"],
                        datetime.fromisoformat(row["recorded_at"]),
                    )
                )
        return [_apply(d, found[d.id]) if d.id in found else d for d in declarations]

    def add_declarations(self, rows: Iterable[NewDeclaration], batch_size: int = 1000) -> None:
        """Bulk load (benchmarks, imports): the same rows as add_declaration."""
        insert_many(self.db, "declarations", map(_declaration_row, rows), batch_size)

    def declaration(self, declaration_id: int) -> Declaration:
        """Scoped: only declarations on the community's own trackers (by ID is how retract and
        amend name them, and another community's are not theirs to see)."""
        own, params = self._own("t.")
        rows = list(
            self.db.query(
                f"SELECT {_DECLARATION_COLUMNS} FROM declarations d "
                "JOIN trackers t ON t.id = d.tracker_id "
                f"LEFT JOIN retractions r ON r.declaration_id = d.id WHERE d.id = ? AND {own}",
                [declaration_id, *params],
            )
        )
        if not rows:
            raise NotFound(f"No declaration #{declaration_id}.")
        return self._amended([_declaration(rows[0])])[0]

    def positions(self, tracker: Tracker, as_of: date) -> dict[str, Declaration]:
        """Each member's latest standing declaration on or before `as_of`.

        One index seek per member of the body, so the cost follows the member count, not the
        length of the history.
        """
        rows = self.db.query(
            f"""
            SELECT {_DECLARATION_COLUMNS}
            FROM members m
            JOIN declarations d ON d.id = (
                SELECT d2.id FROM declarations d2
                WHERE d2.tracker_id = :tracker AND d2.member = m.code AND d2.made_on <= :as_of
                  AND NOT EXISTS (SELECT 1 FROM retractions x WHERE x.declaration_id = d2.id)
                ORDER BY d2.made_on DESC, d2.id DESC
                LIMIT 1
            )
            LEFT JOIN retractions r ON r.declaration_id = d.id
            WHERE m.body = :body
            """,
            {"tracker": tracker.id, "as_of": as_of.isoformat(), "body": tracker.body},
        )
        found = self._amended([_declaration(row) for row in rows])
        return {d.member: d for d in found}

    def position_rows(self, tracker_id: int) -> list[PositionRow]:
        """Every standing (not retracted) declaration as a plain row, in the order `positions`
        reads them (date, then id): what a timeline needs and nothing more. Plain tuples of
        text and numbers, not Declarations, so 100,000 of them cost the garbage collector (and
        the event loop beside it) next to nothing."""
        return list(
            self.db.execute(
                "SELECT d.id, d.member, d.stance, d.candidate_id, d.stage, d.made_on "
                "FROM declarations d WHERE d.tracker_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM retractions x WHERE x.declaration_id = d.id) "
                "ORDER BY d.made_on, d.id",
                [tracker_id],
            )
        )

    def standing(
        self,
        tracker_id: int,
        member: str,
        as_of: date,
        *,
        skip: int | None = None,
        revive: int | None = None,
    ) -> Declaration | None:
        """The member's latest standing declaration on or before `as_of`, as `positions` picks
        it, leaving out `skip` and counting `revive` as not retracted (what an alert compares
        with). One seek down the position index: the cost does not follow the member's history.
        """
        rows = list(
            self.db.query(
                f"SELECT {_DECLARATION_COLUMNS} FROM declarations d "
                "LEFT JOIN retractions r ON r.declaration_id = d.id "
                "WHERE d.tracker_id = :tracker AND d.member = :member AND d.made_on <= :as_of "
                "AND d.id IS DISTINCT FROM :skip "
                "AND (r.declaration_id IS NULL OR d.id IS NOT DISTINCT FROM :revive) "
                "ORDER BY d.made_on DESC, d.id DESC LIMIT 1",
                {
                    "tracker": tracker_id,
                    "member": member,
                    "as_of": as_of.isoformat(),
                    "skip": skip,
                    "revive": revive,
                },
            )
        )
        return _declaration(rows[0]) if rows else None

    def history(
        self,
        tracker_id: int,
        member: str | None = None,
        limit: int = 20,
        offset: int = 0,
        before: Declaration | None = None,
    ) -> list[Declaration]:
        """Newest first by date made, then by order recorded; retracted ones included.

        `before` pages on from a declaration (those listed after it), `offset` skips rows."""
        where = "d.tracker_id = ?"
        params: list[int | str] = [tracker_id]
        if member:
            where += " AND d.member = ?"
            params.append(member)
        if before is not None:
            where += " AND (d.made_on < ? OR (d.made_on = ? AND d.id < ?))"
            params += [before.made_on.isoformat(), before.made_on.isoformat(), before.id]
        rows = self.db.query(
            f"SELECT {_DECLARATION_COLUMNS} FROM declarations d "
            f"LEFT JOIN retractions r ON r.declaration_id = d.id WHERE {where} "
            "ORDER BY d.made_on DESC, d.id DESC LIMIT ? OFFSET ?",
            [*params, _limit(limit), offset],
        )
        return self._amended([_declaration(r) for r in rows])

    def count_declarations(
        self, tracker_id: int, member: str | None = None, before: Declaration | None = None
    ) -> int:
        where = "tracker_id = ?"
        params: list[int | str] = [tracker_id]
        if member:
            where += " AND member = ?"
            params.append(member)
        if before is not None:
            where += " AND (made_on < ? OR (made_on = ? AND id < ?))"
            params += [before.made_on.isoformat(), before.made_on.isoformat(), before.id]
        return self.db.count_where("declarations", where, params)

    def retract(self, declaration_id: int, reason: str, by: str, now: datetime) -> None:
        insert_row(
            self.db,
            "retractions",
            {
                "declaration_id": declaration_id,
                "reason": reason,
                "recorded_by": by,
                "recorded_at": utc_text(now),
            },
        )

    # export and import (store/exchange.py) ----------------------------------

    def tracker_record(self, tracker_id: int) -> dict[str, Any]:
        """The tracker's whole record, as the JSON export holds it."""
        return exchange.export_record(self.db, tracker_id)

    def import_tracker_record(
        self, record: dict[str, Any], slug: str, by: str, now: datetime
    ) -> Tracker:
        tracker_id = exchange.import_record(self.db, record, slug, by, now, self.community_id)
        return self.tracker_by_id(tracker_id)

    # moderators -------------------------------------------------------------

    def is_moderator(self, platform: str, workspace: str, user_id: str) -> bool:
        """Scoped: a moderator of this community (added while the workspace belonged to it)."""
        own, params = self._own()
        return bool(
            self.db.count_where(
                "moderators",
                f"platform = ? AND workspace = ? AND user_id = ? AND {own}",
                [platform, workspace, user_id, *params],
            )
        )

    def add_moderator(
        self, platform: str, workspace: str, user_id: str, by: str, now: datetime
    ) -> bool:
        if self.is_moderator(platform, workspace, user_id):
            return False
        # A row left from another community (before the workspace moved) gives way.
        self.remove_moderator(platform, workspace, user_id, everywhere=True)
        insert_row(
            self.db,
            "moderators",
            {
                "platform": platform,
                "workspace": workspace,
                "user_id": user_id,
                "added_by": by,
                "added_at": utc_text(now),
                "community_id": self.community_id,
            },
        )
        return True

    def remove_moderator(
        self, platform: str, workspace: str, user_id: str, everywhere: bool = False
    ) -> bool:
        own, params = ("TRUE", []) if everywhere else self._own()
        cursor = self.db.execute(
            "DELETE FROM moderators WHERE platform = ? AND workspace = ? AND user_id = ? "
            f"AND {own}",
            [platform, workspace, user_id, *params],
        )
        return cursor.rowcount > 0

    def moderators(self, platform: str, workspace: str) -> list[dict[str, Any]]:
        own, params = self._own()
        return list(
            self.db.query(
                "SELECT user_id, added_by, added_at FROM moderators "
                f"WHERE platform = ? AND workspace = ? AND {own} ORDER BY added_at",
                [platform, workspace, *params],
            )
        )


NO_LIMIT = 2**63 - 1
"""The largest LIMIT both engines take: what a negative limit (SQLite's "no limit") means."""


def _limit(limit: int) -> int:
    return limit if limit >= 0 else NO_LIMIT


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _column_text(value: Any) -> Any:
    """Dates, rules and enums as the text the trackers table stores."""
    if value is None or (isinstance(value, int | str) and not isinstance(value, StrEnum)):
        return value
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _apply(declaration: Declaration, amendments: list[Amendment]) -> Declaration:
    """The declaration as amended; `original` keeps the first-recorded value of each field."""
    values: dict[str, Any] = {}
    original: dict[str, str | None] = {}
    for amendment in amendments:
        for name, value in amendment.changes:
            if name not in AMENDABLE:
                continue
            if name not in original:
                first = getattr(declaration, name)
                original[name] = str(first) if first is not None else None
            values[name] = Confidence(value) if name == "confidence" and value else value
    return dataclasses.replace(
        declaration, **values, amendments=tuple(amendments), original=tuple(original.items())
    )


def _member(row: dict[str, Any]) -> Member:
    return Member(
        code=row["code"],
        name=row["name"],
        joined=date.fromisoformat(row["joined"]),
        left=_date(row["left_on"]),
        population=row["population"],
        aliases=tuple(json.loads(row["aliases"])),
        breaks=tuple(
            (date.fromisoformat(s), date.fromisoformat(u)) for s, u in json.loads(row["breaks"])
        ),
    )


def _declaration_row(new: NewDeclaration) -> dict[str, Any]:
    return {
        "tracker_id": new.tracker_id,
        "member": new.member,
        "stance": str(new.stance),
        "candidate_id": new.candidate_id,
        "stage": new.stage,
        "made_on": new.made_on.isoformat(),
        "source": new.source,
        "quote": new.quote,
        "speaker": new.speaker,
        "confidence": str(new.confidence),
        "condition": new.condition,
        "recorded_by": new.recorded_by,
        "recorded_at": utc_text(new.recorded_at),
    }


def _declaration(row: dict[str, Any]) -> Declaration:
    retraction = (
        Retraction(row["r_reason"], row["r_by"], datetime.fromisoformat(row["r_at"]))
        if row["r_reason"] is not None
        else None
    )
    return Declaration(
        id=row["id"],
        tracker_id=row["tracker_id"],
        member=row["member"],
        stance=Stance(row["stance"]),
        made_on=date.fromisoformat(row["made_on"]),
        recorded_by=row["recorded_by"],
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        candidate_id=row["candidate_id"],
        stage=row["stage"],
        source=row["source"],
        quote=row["quote"],
        speaker=row["speaker"],
        confidence=Confidence(row["confidence"]),
        condition=row["condition"],
        retraction=retraction,
    )
