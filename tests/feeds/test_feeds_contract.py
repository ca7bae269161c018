"""bot.storage.Feeds through the protocol only, on every store of the storage contract
(tests/core/test_storage_contract.py IMPLEMENTATIONS: a PostgreSQL store added there runs
these too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import TrackerKind
from bot.errors import UserError
from bot.rules import Rule
from bot.storage import Store, Transaction
from tests.core.test_storage_contract import place, store  # noqa: F401  (the engine fixtures)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _setup(tx: Transaction) -> tuple[int, int]:
    community = tx.records.create_community("console", "local", NOW)
    tracker = tx.records.scoped(community.id).create_tracker(
        slug="t",
        title="T",
        body="nato",
        kind=TrackerKind.APPROVAL,
        rule=Rule("unanimity"),
        opened=NOW.date(),
        candidates=(),
        stages=(),
        subject=None,
        created_by="test",
        now=NOW,
    )
    return community.id, tracker.id


def test_feeds_add_read_fail_seen_and_remove(store: Store) -> None:  # noqa: F811
    community, tracker = store.run_blocking(_setup)

    def add(tx: Transaction) -> int:
        feed = tx.feeds.add_feed(
            community_id=community,
            url="https://example.org/a.rss",
            tracker_id=tracker,
            keywords=("secrétaire général",),
            interval_seconds=1800,
            by="test",
            now=NOW,
        )
        assert feed.keywords == ("secrétaire général",)
        assert feed.due(NOW) and feed.failures == 0 and feed.suggested == 0
        return feed.id

    feed_id = store.run_blocking(add)
    with pytest.raises(UserError, match="already read"):
        store.run_blocking(add)

    def claim(tx: Transaction) -> list[int]:
        return [f.id for f in tx.feeds.claim_due(NOW, 10, NOW + timedelta(minutes=2))]

    assert store.run_blocking(claim) == [feed_id]
    assert store.run_blocking(claim) == []  # held for its reader
    late = NOW + timedelta(minutes=3)
    assert store.run_blocking(
        lambda tx: [f.id for f in tx.feeds.claim_due(late, 10, late + timedelta(minutes=2))]
    ) == [feed_id]  # a reader that died: tried again after the hold

    def read(tx: Transaction) -> None:
        tx.feeds.record_read(
            feed_id,
            now=NOW,
            status="200: 2 new items, 1 suggestion",
            etag='"abc"',
            modified="Tue, 05 Mar 2024 18:00:00 GMT",
            title="Wire",
            next_try_at=NOW + timedelta(minutes=30),
            suggested=1,
        )
        assert tx.feeds.unseen(feed_id, ["a", "b", "a"]) == ["a", "b"]
        tx.feeds.mark_seen(feed_id, ["a", "a"], NOW)
        tx.feeds.mark_seen(feed_id, ["a"], NOW)  # seen twice: no error
        assert tx.feeds.unseen(feed_id, ["a", "b"]) == ["b"]
        assert tx.feeds.due_feeds(NOW, 10) == []
        tx.feeds.mark_seen(feed_id, ["c"], NOW)
        later = NOW + timedelta(days=100)
        assert tx.feeds.forget_seen(feed_id, ["c"], later - timedelta(days=90)) == 1
        assert tx.feeds.unseen(feed_id, ["a", "c"]) == ["a"]

    store.run_blocking(read)

    def fail(tx: Transaction) -> None:
        later = NOW + timedelta(minutes=31)
        tx.feeds.record_failure(
            feed_id, now=later, error="HTTP 503", next_try_at=later + timedelta(hours=1)
        )
        feed = tx.feeds.feed(feed_id)
        assert feed is not None
        assert (feed.failures, feed.last_error, feed.last_status) == (1, "HTTP 503", "error")
        assert (feed.etag, feed.title, feed.suggested) == ('"abc"', "Wire", 1)
        assert feed.last_read_at == NOW
        assert tx.feeds.due_feeds(later, 10) == []
        assert [f.id for f in tx.feeds.feeds(community)] == [feed_id]
        assert tx.feeds.feeds(community + 1) == []

    store.run_blocking(fail)

    def remove(tx: Transaction) -> None:
        assert tx.feeds.remove_feed(feed_id)
        assert not tx.feeds.remove_feed(feed_id)
        assert tx.feeds.feed(feed_id) is None

    store.run_blocking(remove)
