"""Communities do not touch each other. Driven from the command spec (catalog COMMANDS), so a
command added later is covered without anyone listing it here.

Each check runs the same command in two worlds: one where community B (a Discord server) owns
trackers and declarations, one where B never existed. Community A (a Slack workspace) must get
the very same answer in both (nothing leaks that B's records exist) and nothing may be written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.web.reading import public_meta
from bot.app import Core
from bot.commands.catalog import COMMANDS
from bot.commands.context import Actor
from bot.commands.spec import Command, Param, ParamKind
from bot.completion import suggest
from bot.members import Member
from bot.replies import Reply
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.conftest import Clock
from tests.database import row_counts

A_ADMIN = Actor(
    "slack", "TA", "UA", "ann", platform_moderator=True, channel="CA", channel_manager=True
)
A_READER = Actor("slack", "TA", "UR", "rea", channel="CA")
B_ADMIN = Actor(
    "discord", "900", "77", "bea", platform_moderator=True, channel="55", channel_manager=True
)
B = "discord-900"
"""B's community slug (a new server's community is named after it until renamed)."""

A_SETUP = (
    '/tally tracker new mine "A\'s own" kind=selection rule=majority body=eu '
    'candidates="Anna,Berit" opened=2026-01-01',
    "/tally declare FR support Anna tracker=mine date=2026-02-01",
    "/tally subscribe all",
)
B_SETUP = (
    '/tally tracker new secret "B private" kind=selection rule=majority body=eu '
    'candidates="Anna,Berit" opened=2026-01-01',
    "/tally declare DE support Anna tracker=secret date=2026-02-01",
    '/tally tracker new open-b "B public" kind=selection rule=majority body=eu '
    'candidates="Anna,Berit" opened=2026-01-01 visibility=public',
    "/tally declare IT support Berit tracker=open-b date=2026-02-02",
    "/tally suggest DE oppose Anna tracker=secret source=https://example.org/b",
)
DECLARATION_OF_B = 2
"""A's declaration is #1 in both worlds; B's first one is #2 where B exists."""
SUGGESTION_OF_B = 1
"""B's suggestion (A has none)."""

LOCAL_WRITES = {
    "tracker-new",
    "moderator-add",
    "moderator-remove",
    "community-name",
    "community-invite",
    "community-join",
    "community-leave",
    "feeds-list",
    "feeds-remove",
}
"""Write commands that name no tracker and no declaration: they act in the actor's own
community only (tested below). A new write command that names neither must be added here
on purpose, after checking it."""


@dataclass
class World:
    core: Core
    path: Path

    async def run(self, command: Command[Any], raw: dict[str, object], actor: Actor) -> Reply:
        return await self.core.dispatcher.run(command, raw, actor)

    def counts(self) -> dict[str, int]:
        return row_counts(self.path)


async def _world(path: Path, clock: Clock, with_b: bool) -> World:
    core = open_core(Settings(db_path=path), clock)
    for text, actor in [
        *((t, A_ADMIN) for t in A_SETUP),
        *((t, B_ADMIN) for t in B_SETUP if with_b),
    ]:
        reply = await core.dispatcher.run_text(text, actor)
        assert reply.ok, (text, reply.title)
    return World(core, path)


@pytest.fixture
async def worlds(tmp_path: Path, clock: Clock) -> AsyncIterator[tuple[World, World]]:
    with_b = await _world(tmp_path / "with-b.db", clock, True)
    without_b = await _world(tmp_path / "without-b.db", clock, False)
    yield with_b, without_b
    with_b.core.close()
    without_b.core.close()


def _value(param: Param, tracker: str) -> str:
    """A plausible value of the parameter's kind, aimed at B's records."""
    if param.kind is ParamKind.TRACKER:
        return tracker
    if param.name == "suggestion_id":
        return str(SUGGESTION_OF_B)
    if param.metavar == "ID":
        return str(DECLARATION_OF_B)
    if param.choices:
        return param.choices[0]
    return {
        ParamKind.MEMBER: "FR",
        ParamKind.CANDIDATE: "Anna",
        ParamKind.DATE: "2026-03-01",
        ParamKind.INTEGER: str(param.min_value or 1),
        ParamKind.USER: "U9",
        ParamKind.URL: "https://example.org/b",
        ParamKind.RULE: "unanimity",
        ParamKind.BODY: "eu",
    }.get(param.kind, "x")


def _raw(command: Command[Any], tracker: str) -> dict[str, object]:
    return {
        p.name: _value(p, tracker)
        for p in command.params
        if p.required or p.kind is ParamKind.TRACKER
    }


def _targets(command: Command[Any]) -> bool:
    return any(p.kind is ParamKind.TRACKER or p.metavar == "ID" for p in command.params)


WRITES = [c for c in COMMANDS if c.writes]
READS = [c for c in COMMANDS if not c.writes and _targets(c)]


def test_every_write_command_is_covered() -> None:
    assert {c.key for c in WRITES if not _targets(c)} == LOCAL_WRITES


@pytest.mark.parametrize("command", [c for c in WRITES if _targets(c)], ids=lambda c: c.key)
@pytest.mark.parametrize("name", ["secret", f"{B}/secret", "open-b"])
async def test_a_write_on_another_community_s_tracker_is_no_such_tracker(
    worlds: tuple[World, World], command: Command[Any], name: str
) -> None:
    with_b, without_b = worlds
    raw = _raw(command, name)
    before = with_b.counts()
    reply = await with_b.run(command, raw, A_ADMIN)
    assert not reply.ok and any(
        f"No {what}" in reply.title for what in ("tracker", "declaration", "suggestion")
    )
    assert reply == await without_b.run(command, raw, A_ADMIN)  # the same as if B did not exist
    assert with_b.counts() == before  # nothing written


@pytest.mark.parametrize(
    "command", [c for c in WRITES if _targets(c) and not c.follows], ids=lambda c: c.key
)
async def test_following_never_records_in_a_public_tracker_of_another_community(
    worlds: tuple[World, World], command: Command[Any]
) -> None:
    with_b, without_b = worlds
    raw = _raw(command, f"{B}/open-b")
    before = with_b.counts()
    reply = await with_b.run(command, raw, A_ADMIN)
    assert not reply.ok
    assert reply == await without_b.run(command, raw, A_ADMIN)
    assert with_b.counts() == before


@pytest.mark.parametrize("command", READS, ids=lambda c: c.key)
@pytest.mark.parametrize("name", ["secret", f"{B}/secret"])
async def test_private_trackers_of_another_community_are_invisible_to_reads(
    worlds: tuple[World, World], command: Command[Any], name: str
) -> None:
    with_b, without_b = worlds
    raw = _raw(command, name)
    reply = await with_b.run(command, raw, A_READER)
    assert not reply.ok and "No tracker" in reply.title
    assert reply == await without_b.run(command, raw, A_READER)


async def test_listing_and_autocomplete_show_only_the_community_s_trackers(
    worlds: tuple[World, World],
) -> None:
    with_b, _ = worlds
    listing = await with_b.core.dispatcher.run_text("/tally trackers", A_READER)
    assert [t["slug"] for t in listing.data["trackers"]] == ["mine"]
    tracker_param = COMMANDS[0].param("tracker")
    assert tracker_param is not None
    for typed in ("", "s", "secret", "open"):
        found = await suggest(with_b.core.store, tracker_param, typed, actor=A_READER)
        assert {s.value for s in found} <= {"mine"}
    theirs = await suggest(with_b.core.store, tracker_param, "sec", actor=B_ADMIN)
    assert [s.value for s in theirs] == ["secret"]


async def test_a_public_tracker_is_read_and_followed_as_community_slash_slug(
    worlds: tuple[World, World],
) -> None:
    with_b, _ = worlds
    run = with_b.core.dispatcher.run_text
    tally = await run(f"/tally {B}/open-b", A_READER)
    assert tally.ok and "B public" in tally.title
    followed = await run(f"/tally subscribe {B}/open-b", A_ADMIN)
    assert followed.ok, followed.title
    assert f"{B}/open-b" in followed.title
    listing = await run("/tally subscriptions", A_ADMIN)
    assert f"{B}/open-b" in str(listing.data)

    def hearing(tracker_slug: str) -> set[str]:
        def work(tx: Any) -> set[str]:
            tracker = tx.records.scoped(0).tracker_by_slug(f"{B}/{tracker_slug}")
            tracker_id = tracker.id if tracker else None
            if tracker_id is None:  # private: look it up unscoped, as the alert writer does
                tracker_id = next(t.id for t in tx.records.trackers() if t.slug == tracker_slug)
            return {s.channel.workspace for s in tx.alerts.matching_subscriptions(tracker_id)}

        return with_b.core.store.run_blocking(work, write=False)

    assert hearing("open-b") == {"TA"}  # followed: alerts reach A's channel
    assert hearing("secret") == set()  # A's 'all' is all of A's trackers, never B's


async def test_moderators_are_per_community(worlds: tuple[World, World]) -> None:
    with_b, _ = worlds
    run = with_b.core.dispatcher.run_text
    assert (await run("/tally moderator add U5", B_ADMIN)).ok
    b_mod = Actor("discord", "900", "U5", "mod")
    recorded = await run("/tally declare ES support Anna tracker=secret date=2026-03-01", b_mod)
    assert recorded.ok, recorded.title
    listing = await run("/tally moderator list", A_ADMIN)
    assert listing.data["moderators"] == []


async def test_local_writes_stay_in_the_actor_s_community(worlds: tuple[World, World]) -> None:
    with_b, _ = worlds
    run = with_b.core.dispatcher.run_text
    made = await run(
        '/tally tracker new secret "A\'s own secret" kind=approval rule=majority body=eu', A_ADMIN
    )
    assert made.ok, made.title  # the same slug as B's: slugs are per community
    a_view = await run("/tally secret", A_READER)
    b_view = await run("/tally secret", B_ADMIN)
    assert "A's own secret" in a_view.title and "B private" in b_view.title


@pytest.mark.parametrize("command", WRITES, ids=lambda c: c.key)
async def test_direct_messages_only_read(
    worlds: tuple[World, World], command: Command[Any]
) -> None:
    with_b, _ = worlds
    dm = Actor("slack", "TA", "UA", "ann", platform_moderator=True, channel="D123", direct=True)
    before = with_b.counts()
    reply = await with_b.run(command, _raw(command, "mine"), dm)
    assert not reply.ok and "direct message" in reply.title
    assert with_b.counts() == before
    read = await with_b.core.dispatcher.run_text("/tally mine", dm)
    assert read.ok, read.title


async def test_the_web_pages_serve_the_public_tracker_of_a_shared_slug(
    worlds: tuple[World, World],
) -> None:
    """Slugs are per community: /t/SLUG shows the public tracker of that name, never a private
    one another community made first."""
    with_b, _ = worlds
    run = with_b.core.dispatcher.run_text
    new = '/tally tracker new dup "{}" kind=approval rule=majority body=eu{}'
    assert (await run(new.format("A private", ""), A_ADMIN)).ok  # made first
    assert (await run(new.format("B public", " visibility=public"), B_ADMIN)).ok

    def page(tx: Any) -> str | None:
        assert public_meta(tx.records, "secret") is None  # private: no page, whoever owns it
        meta = public_meta(tx.records, "dup")
        return meta.tracker.title if meta else None

    assert with_b.core.store.run_blocking(page, write=False) == "B public"


async def test_an_imported_body_is_its_community_s(worlds: tuple[World, World]) -> None:
    with_b, _ = worlds
    nordic = [Member("IS", "Iceland", date(1952, 1, 1)), Member("NO", "Norway", date(1952, 1, 1))]

    def import_for_b(tx: Any) -> None:
        b = tx.records.community_by_slug(B)
        tx.records.scoped(b.id).save_body("nordic", "Nordic Council", nordic, datetime.now(UTC))

    with_b.core.store.run_blocking(import_for_b)
    run = with_b.core.dispatcher.run_text
    assert "nordic" in str((await run("/tally bodies", B_ADMIN)).data)
    assert "nordic" not in str((await run("/tally bodies", A_READER)).data)
    refused = await run(
        '/tally tracker new nc "NC" kind=approval rule=unanimity body=nordic', A_ADMIN
    )
    assert not refused.ok and "No body 'nordic'" in refused.title


async def test_two_communities_public_trackers_of_one_slug_each_have_their_own_address(
    worlds: tuple[World, World],
) -> None:
    """/t/SLUG can show only one of them; /t/COMMUNITY/SLUG tells them apart, and the bot links
    each tracker to its own address."""
    with_b, _ = worlds
    run = with_b.core.dispatcher.run_text
    new = '/tally tracker new dup "{}" kind=approval rule=majority body=eu visibility=public'
    assert (await run(new.format("A public"), A_ADMIN)).ok
    assert (await run(new.format("B public"), B_ADMIN)).ok

    def pages(tx: Any) -> dict[str, tuple[str, str] | None]:
        found = {}
        for name in ("dup", f"{B}/dup", "nobody/dup"):
            meta = public_meta(tx.records, name)
            found[name] = (meta.tracker.title, meta.path) if meta else None
        a_meta = public_meta(tx.records, "dup")
        assert a_meta is not None
        a_slug = a_meta.path.split("/")[2]
        again = public_meta(tx.records, f"{a_slug}/dup")
        found["A by its address"] = (again.tracker.title, again.path) if again else None
        return found

    found = with_b.core.store.run_blocking(pages, write=False)
    assert found["dup"] is not None and found["dup"][0] == "A public"  # the oldest
    assert found[f"{B}/dup"] == ("B public", f"/t/{B}/dup")
    assert found["A by its address"] == found["dup"]
    assert found["nobody/dup"] is None


async def test_a_followed_tracker_s_suggestions_stay_with_its_community(
    worlds: tuple[World, World],
) -> None:
    """mode=suggestions on another community's public tracker would hand its unreviewed
    suggestions (who suggested what) to outsiders: refused, nothing subscribed."""
    with_b, _ = worlds
    run = with_b.core.dispatcher.run_text
    before = with_b.counts()
    refused = await run(f"/tally subscribe {B}/open-b mode=suggestions", A_ADMIN)
    assert refused.title == (
        f"⚠️ mode=suggestions is for your community's own trackers: {B}/open-b's suggestions "
        "go to its own moderators. Follow its changes with mode=every."
    )
    assert with_b.counts() == before
    assert (await run("/tally subscribe open-b mode=suggestions", B_ADMIN)).ok


async def test_a_suggestions_subscription_of_another_community_hears_nothing(
    worlds: tuple[World, World],
) -> None:
    """One made before subscribe refused it (written here straight to the store) gets no
    suggestion alert: only changes, as a follower."""
    from bot.alerts.channels import ChannelRef
    from bot.alerts.model import Mode

    with_b, _ = worlds

    def follow_queue(tx: Any) -> None:
        a = tx.records.community_of("slack", "TA")
        open_b = tx.records.scoped(0).tracker_by_slug(f"{B}/open-b")
        tx.alerts.subscribe(
            ChannelRef("slack", "TA", "CA"),
            open_b.id,
            Mode.SUGGESTIONS,
            None,
            "UTC",
            "slack:TA:UA (ann)",
            with_b.core.dispatcher.clock(),
            community_id=a.id,
        )

    await with_b.core.store.run(follow_queue)
    before = with_b.counts()["alert_outbox"]
    run = with_b.core.dispatcher.run_text
    suggest = "/tally suggest FR oppose Berit tracker=open-b source=https://e.org/f"
    sent = await run(suggest, B_ADMIN)
    assert sent.ok, sent.title
    assert with_b.counts()["alert_outbox"] == before
