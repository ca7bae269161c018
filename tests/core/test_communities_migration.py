"""A database written before communities (tests/data/before_communities.db, made by that code)
opens as one community holding everything it had: every row is still there, unchanged."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.commands.context import Actor
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.conftest import Clock

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "before_communities.db"
KEPT_TABLES = (
    "bodies",
    "members",
    "trackers",
    "candidates",
    "declarations",
    "retractions",
    "amendments",
    "tracker_events",
    "moderators",
    "subscriptions",
    "alert_channels",
    "alert_events",
    "alert_outbox",
)
NEW_COLUMNS = {"community_id"}
REFRESHED = {"members": {"aliases"}}
"""m012_feeds gives shipped bodies the shipped aliases (French and German names): they grow,
see test_shipped_aliases_only_grow."""


def _rows(path: Path, table: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    finally:
        conn.close()


@pytest.fixture
def upgraded(tmp_path: Path, clock: Clock) -> Path:
    copy = tmp_path / "tally.db"
    shutil.copy(FIXTURE, copy)
    open_core(Settings(db_path=copy), clock).close()
    return copy


@pytest.mark.parametrize("table", KEPT_TABLES)
def test_every_row_is_kept_unchanged(upgraded: Path, table: str) -> None:
    skip = REFRESHED.get(table, set())
    before = [{k: v for k, v in row.items() if k not in skip} for row in _rows(FIXTURE, table)]
    after = [
        {k: v for k, v in row.items() if k not in NEW_COLUMNS | skip}
        for row in _rows(upgraded, table)
    ]
    assert after == before


def test_shipped_aliases_only_grow(upgraded: Path) -> None:
    import json

    before = {(r["body"], r["code"]): r["aliases"] for r in _rows(FIXTURE, "members")}
    after = {(r["body"], r["code"]): r["aliases"] for r in _rows(upgraded, "members")}
    assert before.keys() == after.keys()
    for key, aliases in before.items():
        assert set(json.loads(str(aliases))) <= set(json.loads(str(after[key]))), key
    assert "Ungarn" in json.loads(str(after[("nato", "HU")]))


def test_one_community_holds_every_workspace_seen(upgraded: Path) -> None:
    assert [(r["id"], r["slug"]) for r in _rows(upgraded, "communities")] == [(1, "local")]
    members = {
        (r["platform"], r["workspace"], r["community_id"])
        for r in _rows(upgraded, "community_members")
    }
    assert members == {
        ("console", "local", 1),
        ("slack", "T0AAA", 1),  # a moderator, a tracker and declarations recorded there
        ("slack", "T0BBB", 1),  # only a moderator and a declaration
        ("discord", "111222333", 1),  # a declaration and a subscription
    }


@pytest.mark.parametrize("table", ["trackers", "moderators", "subscriptions"])
def test_every_tracker_moderator_and_subscription_is_the_community_s(
    upgraded: Path, table: str
) -> None:
    rows = _rows(upgraded, table)
    assert rows and {r["community_id"] for r in rows} == {1}


def test_shipped_bodies_stay_global(upgraded: Path) -> None:
    assert {r["slug"]: r["community_id"] for r in _rows(upgraded, "bodies")} == {
        "eu": None,
        "nato": None,
        "unsc": None,
    }


def test_tracker_slugs_are_unique_per_community(upgraded: Path) -> None:
    conn = sqlite3.connect(upgraded)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "INSERT INTO communities (id, slug, name, created_at) VALUES (2, 'b', 'B', 'x')"
        )
        columns = "slug, title, body, kind, rule, opened, created_by, created_at, community_id"
        values = "'eu-pick', 'T', 'eu', 'selection', 'qmv', '2024-01-01', 'x', 'x'"
        conn.execute(f"INSERT INTO trackers ({columns}) VALUES ({values}, 2)")  # another community
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(f"INSERT INTO trackers ({columns}) VALUES ({values}, 1)")
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


async def test_the_shared_community_keeps_working_from_every_workspace(
    upgraded: Path, clock: Clock
) -> None:
    """Moderators added before keep their rights; every workspace still sees both trackers."""
    core = open_core(Settings(db_path=upgraded), clock)
    try:
        run = core.dispatcher.run_text
        mod_b = Actor("slack", "T0BBB", "U0MOD", "mo", channel="C0B")
        reply = await run("/tally declare DE support A tracker=eu-pick date=2024-02-03", mod_b)
        assert reply.ok, reply.title
        discord = Actor("discord", "111222333", "9", "someone", channel="555")
        listing = await run("/tally trackers", discord)
        assert {t["slug"] for t in listing.data["trackers"]} == {"eu-pick", "nato-sg-2024"}
        console = Actor("console", "local", "op", "op", platform_moderator=True)
        reply = await run("/tally position HU tracker=nato-sg-2024", console)
        assert reply.ok and "Hungary" in reply.title
    finally:
        core.close()
