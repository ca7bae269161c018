"""A tracker with a long random history, bulk-loaded: the data the benches read."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

from bot.app import Core
from bot.commands.context import Actor
from bot.domain import NewDeclaration, Stance

OPERATOR = Actor("console", "local", "bench", "bench", platform_moderator=True)
STANCES = list(Stance)


def load_tracker(core: Core, slug: str, count: int) -> None:
    """Create selection tracker `slug` through the command, then add `count` random
    declarations in one bulk write (store.repository add_declarations)."""

    async def create() -> None:
        reply = await core.dispatcher.run_text(
            f'tracker new {slug} "Bench {count}" kind=selection rule=unanimity '
            'candidates="Mark Rutte,Klaus Iohannis" opened=2020-01-01',
            OPERATOR,
        )
        assert reply.ok, reply.title

    asyncio.run(create())
    rng = random.Random(count)
    now = datetime.now(UTC)

    def bulk(repo):  # type: ignore[no-untyped-def]
        tracker = repo.tracker_by_slug(slug)
        codes = [m.code for m in repo.body("nato").members]
        ids = [c.id for c in tracker.candidates]
        start = date(2020, 1, 1)
        repo.add_declarations(
            NewDeclaration(
                tracker_id=tracker.id,
                member=rng.choice(codes),
                stance=(stance := rng.choice(STANCES)),
                made_on=start + timedelta(days=rng.randrange(0, 1700)),
                recorded_by="bench",
                recorded_at=now,
                candidate_id=rng.choice(ids) if stance.names_candidate else None,
                quote="q" * rng.randrange(0, 200),
            )
            for _ in range(count)
        )

    core.store.run_blocking(bulk)
