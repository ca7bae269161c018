"""Made tests/data/before_communities.db with the code before communities (commit e021952)."""

import asyncio
import sys
from pathlib import Path

from bot.commands.context import Actor
from bot.settings import Settings
from tallybot.wiring import open_core


async def main(path: str) -> None:
    core = open_core(Settings(db_path=Path(path)))
    d = core.dispatcher
    op = Actor("console", "local", "op", "op", platform_moderator=True, channel="console")
    slack_admin = Actor(
        "slack", "T0AAA", "U0ADMIN", "ann", platform_moderator=True, channel="C0GEN"
    )
    discord_admin = Actor(
        "discord",
        "111222333",
        "444",
        "dan",
        platform_moderator=True,
        channel="555",
        channel_manager=True,
    )
    slack_mod = Actor("slack", "T0BBB", "U0MOD", "mo", channel="C0B")
    for actor, text in [
        (op, "/tally moderator add U0MOD"),
        (slack_admin, "/tally moderator add U0MOD"),
        (
            slack_admin,
            '/tally tracker new slug=eu-pick title="EU pick" body=eu kind=selection rule=qmv '
            'candidates="A,B" visibility=public opened=2024-01-01',
        ),
        (slack_admin, "/tally declare FR support A tracker=eu-pick date=2024-02-01"),
        (
            discord_admin,
            '/tally declare HU oppose "Mark Rutte" tracker=nato-sg-2024 date=2024-03-10',
        ),
        (discord_admin, "/tally subscribe tracker=nato-sg-2024 mode=every"),
        (slack_admin, "/tally subscribe mode=milestones tracker=all"),
    ]:
        reply = await d.run_text(text, actor)
        print(text, "->", reply.ok, reply.title, reply.data.get("error"))
    # A moderator added in T0BBB (by a Slack admin there) records: recorded_by slack:T0BBB:U0MOD
    await d.run_text(
        "/tally moderator add U0MOD",
        Actor("slack", "T0BBB", "U0BADMIN", "b", platform_moderator=True, channel="C0B"),
    )
    r = await d.run_text("/tally declare PL support A tracker=eu-pick date=2024-02-02", slack_mod)
    print("slack mod ->", r.ok, r.title, r.data.get("error"))
    core.close()


asyncio.run(main(sys.argv[1]))
