"""Trackers the benchmarks fill: created through the ordinary command, like a moderator would."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

from bot.app import Core
from bot.commands.context import Actor
from bot.domain import NewDeclaration, Stance
from bot.storage import Transaction

OPERATOR = Actor("console", "local", "bench", "bench", platform_moderator=True)


def create_selection(core: Core, slug: str, title: str) -> None:
    """A NATO unanimity selection between two candidates, opened 2020-01-01."""

    async def create() -> None:
        reply = await core.dispatcher.run_text(
            f'tracker new {slug} "{title}" kind=selection rule=unanimity '
            'candidates="Mark Rutte,Klaus Iohannis" opened=2020-01-01',
            OPERATOR,
        )
        assert reply.ok, reply.title

    asyncio.run(create())


def load_random(core: Core, slug: str, count: int, source: str | None = None) -> None:
    """A selection with `count` random declarations (seeded by `count`) over 1,700 days."""
    create_selection(core, slug, f"Bench {count}")
    rng = random.Random(count)
    now = datetime.now(UTC)

    def bulk(tx: Transaction) -> None:
        repo = tx.records  # the contract's bulk load: the same on SQLite and PostgreSQL
        tracker = repo.tracker_by_slug(slug)
        assert tracker is not None
        codes = [m.code for m in repo.body("nato").members]
        ids = [c.id for c in tracker.candidates]
        start = date(2020, 1, 1)
        repo.add_declarations(
            NewDeclaration(
                tracker_id=tracker.id,
                member=rng.choice(codes),
                stance=(stance := rng.choice(list(Stance))),
                made_on=start + timedelta(days=rng.randrange(0, 1700)),
                recorded_by="bench",
                recorded_at=now,
                candidate_id=rng.choice(ids) if stance.names_candidate else None,
                source=source,
                quote="q" * rng.randrange(0, 200),
            )
            for _ in range(count)
        )

    core.store.run_blocking(bulk)
