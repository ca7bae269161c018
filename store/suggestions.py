"""bot.storage.Suggestions on SQL: suggestions and the sources offered for them.

Plain SQL with `?` placeholders and `INSERT ... RETURNING id` (no sqlite-utils table helpers,
no SQLite-only functions), so another engine runs the same statements. Times are stored as
UTC ISO 8601 text, like every other record table. Callers hold the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from bot.domain import Stance
from bot.suggestions.model import (
    Proposal,
    Source,
    Suggestion,
    SuggestionStatus,
    person_key,
)
from store.repository import utc_text
from store.sql import Db

_SAME = (
    "tracker_id = ? AND member = ? AND COALESCE(stance, '') = ? "
    "AND COALESCE(candidate_id, 0) = ? AND COALESCE(stage, '') = ?"
)


class SuggestionRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, proposal: Proposal, source: Source, expires_at: datetime) -> Suggestion:
        now = utc_text(source.added_at)
        row = self.db.execute(
            "INSERT INTO suggestions (community_id, tracker_id, member, stance, candidate_id, "
            "stage, made_on, explanation, status, created_at, updated_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
            [
                proposal.community_id,
                proposal.tracker_id,
                proposal.member,
                str(proposal.stance) if proposal.stance else None,
                proposal.candidate_id,
                proposal.stage,
                proposal.made_on.isoformat(),
                proposal.explanation,
                now,
                now,
                utc_text(expires_at),
            ],
        ).fetchone()
        suggestion_id = int(row[0])
        self._insert_source(suggestion_id, source)
        return self._required(suggestion_id)

    def pending_like(self, proposal: Proposal) -> Suggestion | None:
        row = self.db.execute(
            f"SELECT id FROM suggestions WHERE status = 'pending' AND {_SAME} ORDER BY id LIMIT 1",
            list(proposal.key),
        ).fetchone()
        return self.get(int(row[0])) if row else None

    def add_source(self, suggestion_id: int, source: Source, expires_at: datetime) -> Suggestion:
        known = self.db.execute(
            "SELECT 1 FROM suggestion_sources WHERE suggestion_id = ? AND url = ?",
            [suggestion_id, source.url],
        ).fetchone()
        if known is None:
            self._insert_source(suggestion_id, source)
        self.db.execute(
            "UPDATE suggestions SET updated_at = ?, expires_at = ? WHERE id = ?",
            [utc_text(source.added_at), utc_text(expires_at), suggestion_id],
        )
        return self._required(suggestion_id)

    def get(self, suggestion_id: int) -> Suggestion | None:
        found = self._load("id = ?", [suggestion_id], limit=1)
        return found[0] if found else None

    def pending(
        self, community_id: int, tracker_id: int | None = None, limit: int = 20
    ) -> list[Suggestion]:
        where, params = _queue(community_id, tracker_id)
        return self._load(where, params, limit=limit)

    def count_pending(self, community_id: int, tracker_id: int | None = None) -> int:
        where, params = _queue(community_id, tracker_id)
        return int(
            self.db.execute(f"SELECT count(*) FROM suggestions WHERE {where}", params).fetchone()[0]
        )

    def decided(
        self, community_id: int, tracker_id: int | None = None, limit: int = 5
    ) -> list[Suggestion]:
        where, params = "status != 'pending' AND community_id = ?", [community_id]
        if tracker_id is not None:
            where, params = where + " AND tracker_id = ?", [*params, tracker_id]
        return self._load(where, params, limit=limit, order="decided_at DESC, id DESC")

    def decide(
        self,
        suggestion_id: int,
        status: SuggestionStatus,
        by: str,
        now: datetime,
        reason: str | None = None,
    ) -> bool:
        cursor = self.db.execute(
            "UPDATE suggestions SET status = ?, decided_by = ?, decided_at = ?, reason = ?, "
            "updated_at = ? WHERE id = ? AND status = 'pending'",
            [str(status), by, utc_text(now), reason, utc_text(now), suggestion_id],
        )
        return cursor.rowcount == 1

    def link_declaration(self, suggestion_id: int, declaration_id: int) -> None:
        self.db.execute(
            "UPDATE suggestions SET declaration_id = ? WHERE id = ?",
            [declaration_id, suggestion_id],
        )

    def expire(self, now: datetime) -> int:
        cursor = self.db.execute(
            "UPDATE suggestions SET status = 'expired', decided_at = expires_at, "
            "updated_at = ? WHERE status = 'pending' AND expires_at <= ?",
            [utc_text(now), utc_text(now)],
        )
        return max(cursor.rowcount, 0)

    def suggested_since(self, suggester: str, since: datetime) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM suggestion_sources WHERE suggester = ? AND added_at > ?",
            [suggester, utc_text(since)],
        ).fetchone()
        return int(row[0])

    def _insert_source(self, suggestion_id: int, source: Source) -> None:
        self.db.execute(
            "INSERT INTO suggestion_sources (suggestion_id, url, quote, speaker, made_on, "
            "suggested_by, suggester, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                suggestion_id,
                source.url,
                source.quote,
                source.speaker,
                source.made_on.isoformat(),
                source.suggested_by,
                person_key(source.suggested_by),
                utc_text(source.added_at),
            ],
        )

    def _required(self, suggestion_id: int) -> Suggestion:
        found = self.get(suggestion_id)
        if found is None:
            raise LookupError(f"suggestion {suggestion_id} vanished inside its transaction")
        return found

    def _load(
        self, where: str, params: list[Any], limit: int, order: str = "id"
    ) -> list[Suggestion]:
        rows = list(
            self.db.query(
                f"SELECT * FROM suggestions WHERE {where} ORDER BY {order} LIMIT ?",
                [*params, limit],
            )
        )
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        marks = ", ".join("?" * len(ids))
        sources: dict[int, list[Source]] = {i: [] for i in ids}
        for s in self.db.query(
            f"SELECT * FROM suggestion_sources WHERE suggestion_id IN ({marks}) ORDER BY id", ids
        ):
            sources[int(s["suggestion_id"])].append(_source(s))
        return [_suggestion(r, sources[int(r["id"])]) for r in rows]


def _queue(community_id: int, tracker_id: int | None) -> tuple[str, list[Any]]:
    if tracker_id is None:
        return "status = 'pending' AND community_id = ?", [community_id]
    return "status = 'pending' AND community_id = ? AND tracker_id = ?", [community_id, tracker_id]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _source(row: dict[str, Any]) -> Source:
    return Source(
        url=row["url"],
        quote=row["quote"],
        speaker=row["speaker"],
        made_on=date.fromisoformat(row["made_on"]),
        suggested_by=row["suggested_by"],
        added_at=_time(row["added_at"]),
    )


def _suggestion(row: dict[str, Any], sources: Iterable[Source]) -> Suggestion:
    return Suggestion(
        id=int(row["id"]),
        community_id=int(row["community_id"]),
        tracker_id=int(row["tracker_id"]),
        member=row["member"],
        stance=Stance(row["stance"]) if row["stance"] else None,
        candidate_id=row["candidate_id"],
        stage=row["stage"],
        made_on=date.fromisoformat(row["made_on"]),
        explanation=row["explanation"],
        status=SuggestionStatus(row["status"]),
        sources=tuple(sources),
        created_at=_time(row["created_at"]),
        updated_at=_time(row["updated_at"]),
        expires_at=_time(row["expires_at"]),
        decided_by=row["decided_by"],
        decided_at=_time(row["decided_at"]) if row["decided_at"] else None,
        reason=row["reason"],
        declaration_id=row["declaration_id"],
    )
