"""The Suggestions part of the storage contract, through the protocol only: every engine in
test_storage_contract.IMPLEMENTATIONS runs these (a PostgreSQL store joins by being listed
there)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain import Stance, TrackerKind
from bot.rules import Rule
from bot.storage import Store, Transaction
from bot.suggestions.model import Proposal, Source, SuggestionStatus
from tests.core.test_storage_contract import NOW, place, store  # noqa: F401  (engine fixtures)

LATER = NOW + timedelta(days=15)


def _setup(tx: Transaction) -> Proposal:
    community = tx.records.create_community("slack", "T1", NOW)
    records = tx.records.scoped(community.id)
    tracker = records.create_tracker(
        slug="sg",
        title="SG",
        body="nato",
        kind=TrackerKind.SELECTION,
        rule=Rule.parse("unanimity"),
        opened=date(2024, 2, 22),
        candidates=["Mark Rutte"],
        stages=[],
        subject=None,
        created_by="contract",
        now=NOW,
    )
    return Proposal(
        community_id=community.id,
        tracker_id=tracker.id,
        member="HU",
        stance=Stance.SUPPORT,
        candidate_id=tracker.candidates[0].id,
        stage=None,
        made_on=date(2024, 6, 18),
        explanation="matched 'Ungarn' -> Hungary",
    )


def _source(url: str, by: str = "slack:T1:U1 (Ann)", quote: str | None = "We back him") -> Source:
    return Source(url, quote, None, date(2024, 6, 18), by, NOW)


async def test_suggestions_round_trip_merge_decide_and_expire(store: Store) -> None:  # noqa: F811
    def work(tx: Transaction) -> None:
        proposal = _setup(tx)
        queue = tx.suggestions
        first = queue.add(proposal, _source("https://a.example/1"), NOW + timedelta(days=14))
        assert first.status is SuggestionStatus.PENDING and first.explanation
        assert first.created_at == NOW and first.expires_at == NOW + timedelta(days=14)
        assert queue.pending_like(proposal) == first
        assert (
            queue.pending_like(
                Proposal(**{**vars(proposal), "stance": None})  # type: ignore[arg-type]
            )
            is None
        )
        merged = queue.add_source(
            first.id, _source("https://b.example/2", "feed:https://f"), NOW + timedelta(days=14)
        )
        same_url = queue.add_source(
            first.id, _source("https://b.example/2"), NOW + timedelta(days=14)
        )
        assert [s.url for s in merged.sources] == ["https://a.example/1", "https://b.example/2"]
        assert same_url.sources == merged.sources
        assert queue.suggested_since("slack:T1:U1", NOW - timedelta(hours=1)) == 1
        assert queue.suggested_since("feed:https://f", NOW - timedelta(hours=1)) == 1
        loose = queue.add(
            Proposal(**{**vars(proposal), "stance": None, "member": "SK"}),  # type: ignore[arg-type]
            _source("https://c.example/3", "feed:https://f"),
            NOW + timedelta(days=1),
        )
        assert loose.stance is None
        assert queue.count_pending(proposal.community_id) == 2
        assert [s.id for s in queue.pending(proposal.community_id, proposal.tracker_id)] == [
            first.id,
            loose.id,
        ]
        assert queue.decide(first.id, SuggestionStatus.CONFIRMED, "mod", NOW)
        assert not queue.decide(first.id, SuggestionStatus.REJECTED, "other", NOW)
        assert queue.expire(LATER) == 1
        decided = queue.decided(proposal.community_id)
        assert [(s.id, s.status) for s in decided] == [
            (loose.id, SuggestionStatus.EXPIRED),
            (first.id, SuggestionStatus.CONFIRMED),
        ]
        assert queue.get(first.id).decided_by == "mod"  # type: ignore[union-attr]
        assert queue.get(9999) is None

    await store.run(work)
