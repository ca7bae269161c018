"""News feeds end to end: real RSS and Atom documents served on 127.0.0.1, read by the feed
reader into the store, shown by `/tally feeds list`; nothing recorded, only suggested."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.alerts.scheduler import AlertScheduler
from bot.app import Core
from bot.domain import Stance
from bot.storage import Transaction
from bot.suggestions.model import Suggestion
from tallybot.feeds import FeedReader, FetchPolicy
from tests.conftest import READER, Clock
from tests.fakes.feed_server import LAST_MODIFIED, FeedServer

SG = (
    'tracker new nato-sg-2024 "NATO Secretary General 2024" kind=selection rule=unanimity '
    'candidates="Mark Rutte,Klaus Iohannis" opened=2024-02-22'
)
SWEDEN = (
    'tracker new sweden-accession "Sweden\'s accession to NATO" kind=approval '
    'rule=unanimity subject=SE stages="parliament,signature,deposit" opened=2022-07-05'
)
LOCAL = FetchPolicy(allow_private=True)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    site = FeedServer()
    await site.start()
    yield site
    await site.stop()


@pytest.fixture
async def reader(core: Core, clock: Clock) -> AsyncIterator[FeedReader]:
    instance = FeedReader(core.store, clock, LOCAL)
    yield instance
    await instance.close()


async def pending(core: Core) -> list[Suggestion]:
    def work(tx: Transaction) -> list[Suggestion]:
        community = tx.records.community_of("console", "local")
        assert community is not None
        return tx.suggestions.pending(community.id, limit=100)

    return await core.store.run(work, write=False)


async def declarations(core: Core) -> int:
    def work(tx: Transaction) -> int:
        return sum(tx.records.count_declarations(t.id) for t in tx.records.trackers())

    return await core.store.run(work, write=False)


def by_member(suggestions: list[Suggestion]) -> dict[str, Suggestion]:
    return {s.member: s for s in suggestions}


async def test_new_items_suggested_once_and_unchanged_feed_not_read_again(
    core: Core, run: Callable[..., Any], clock: Clock, server: FeedServer, reader: FeedReader
) -> None:
    assert (await run(SG)).ok
    server.routes["/sg.rss"] = "sg_news.rss"
    added = await run(f"feeds add {server.url('/sg.rss')} tracker=nato-sg-2024")
    assert added.ok, added
    assert added.title == "Feed 1 added for nato-sg-2024: read every 30 min"

    assert await reader.read_due() == [(1, "200: 4 new items, 3 suggestions")]
    found = by_member(await pending(core))
    assert set(found) == {"HU", "TR", "SK"}  # the Stoltenberg item names no member
    hungary = found["HU"]
    assert hungary.stance is Stance.OPPOSE
    assert hungary.first.url == "https://news.example.org/2024/03/05/hungary-rutte"
    assert hungary.first.suggested_by == "feed:Alliance Watch"
    assert hungary.explanation is not None
    assert hungary.explanation.startswith("matched 'Hungary' -> Hungary; 'Rutte' -> Mark Rutte")
    assert hungary.first.quote == (
        "Hungary will not support Rutte for NATO secretary general, Szijjarto says — Foreign "
        "Minister Peter Szijjarto said Budapest could not back the Dutch prime minister & "
        "called the idea bizarre."
    )
    assert found["TR"].stance is Stance.SUPPORT  # "Türkei unterstützt Rutte"
    assert "'Türkei' -> Türkiye" in (found["TR"].explanation or "")
    assert await declarations(core) == 0  # suggested, never recorded

    # Not due again before its interval; then a conditional GET, answered 304.
    assert await reader.read_due() == []
    clock.now += timedelta(minutes=31)
    assert await reader.read_due() == [(1, "304: not modified")]
    first, second = server.requests("/sg.rss")
    assert "If-None-Match" not in first.headers
    assert second.headers["If-None-Match"] == server_etag(server, first)
    assert second.headers["If-Modified-Since"] == LAST_MODIFIED
    assert second.status == 304

    # A new version with one new item: only that item is suggested (merged into Hungary's
    # pending suggestion as a second source); the four old ones are not suggested again.
    server.routes["/sg.rss"] = "sg_news_more.rss"
    clock.now += timedelta(minutes=31)
    assert await reader.read_due() == [(1, "200: 1 new item, 1 suggestion")]
    found = by_member(await pending(core))
    assert set(found) == {"HU", "TR", "SK"}
    assert [s.url for s in found["HU"].sources] == [
        "https://news.example.org/2024/03/05/hungary-rutte",
        "https://news.example.org/fr/2024/03/06/hongrie-rutte",
    ]
    assert [len(s.sources) for s in (found["TR"], found["SK"])] == [1, 1]

    listing = await run("feeds list")
    feed = listing.data["feeds"][0]
    assert (feed["suggested"], feed["failures"], feed["title"]) == (4, 0, "Alliance Watch")
    assert feed["last_status"] == "200: 1 new item, 1 suggestion"


def server_etag(server: FeedServer, seen: Any) -> str:
    """The ETag the server sent with its first answer (the same body, the same tag)."""
    import hashlib

    from tests.fakes.feed_server import FEEDS

    body = (FEEDS / "sg_news.rss").read_bytes()
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


async def test_markup_and_mass_mentions_are_neutralised(
    core: Core, run: Callable[..., Any], server: FeedServer, reader: FeedReader
) -> None:
    assert (await run(SG)).ok
    server.routes["/sg.rss"] = "sg_news.rss"
    assert (await run(f"feeds add {server.url('/sg.rss')}")).ok
    await reader.read_due()
    slovakia = by_member(await pending(core))["SK"]
    quote = slovakia.first.quote or ""
    assert quote.startswith("Slovakia backs Rutte @\u2060everyone — Click here")
    assert quote.endswith("Bratislava's choice.")
    for raw in ("<", ">", "@everyone", "@here", "<!channel>", "<@U123>", "script", "alert("):
        assert raw not in quote, raw
    assert "@\u2060here" in quote


async def test_atom_feed_in_german_and_french_with_the_match_explained(
    core: Core, run: Callable[..., Any], server: FeedServer, reader: FeedReader
) -> None:
    assert (await run(SWEDEN)).ok
    server.routes["/nord.atom"] = "sweden.atom"
    assert (await run(f"feeds add {server.url('/nord.atom')} tracker=sweden-accession")).ok
    assert await reader.read_due() == [(1, "200: 3 new items, 2 suggestions")]
    suggestions = await pending(core)
    assert [(s.member, s.stance, s.stage) for s in suggestions] == [
        ("HU", Stance.SUPPORT, "parliament"),  # Ungarns Parlament billigt ...
        ("HU", Stance.SUPPORT, "signature"),  # Le président hongrois signe ...
    ]
    german, french = (s.explanation or "" for s in suggestions)
    assert german.startswith("matched 'Ungarns' -> Hungary; 'Schwedens' -> Sweden (subject)")
    assert "'billigt' -> support" in german
    assert french.startswith("matched 'hongrois' -> Hungary; 'Suède' -> Sweden (subject)")
    assert suggestions[1].first.quote == (
        "Le président hongrois signe la loi sur l'adhésion de la Suède à l'Otan — Tamás Sulyok "
        "a promulgué le texte voté par le Parlement le 26 février."
    )


async def test_an_erroring_feed_is_backed_off_and_shown(
    core: Core, run: Callable[..., Any], clock: Clock, server: FeedServer, reader: FeedReader
) -> None:
    assert (await run(SG)).ok
    server.failing["/down.rss"] = 503
    assert (await run(f"feeds add {server.url('/down.rss')}")).ok
    start = clock.now
    assert await reader.read_due() == [(1, "error: HTTP 503 Service Unavailable")]
    listing = await run("feeds list")
    feed = listing.data["feeds"][0]
    assert (feed["failures"], feed["last_error"]) == (1, "HTTP 503 Service Unavailable")
    assert feed["next_try_at"] == (start + timedelta(minutes=60)).isoformat()
    shown = "\n".join(listing.fields[0].items)
    assert "⚠ 1 error(s) in a row, last: HTTP 503 Service Unavailable · backing off" in shown
    assert "next try 2026-11-23 13:00 UTC" in shown

    clock.now = start + timedelta(minutes=31)  # its interval has passed, its backoff not
    assert await reader.read_due() == []
    clock.now = start + timedelta(minutes=60)
    assert await reader.read_due() == [(1, "error: HTTP 503 Service Unavailable")]
    feed = (await run("feeds list")).data["feeds"][0]
    assert feed["failures"] == 2
    assert feed["next_try_at"] == (clock.now + timedelta(minutes=120)).isoformat()
    assert len(server.requests("/down.rss")) == 2

    del server.failing["/down.rss"]
    server.routes["/down.rss"] = "sg_news.rss"
    clock.now += timedelta(minutes=120)
    assert await reader.read_due() == [(1, "200: 4 new items, 3 suggestions")]
    feed = (await run("feeds list")).data["feeds"][0]
    assert (feed["failures"], feed["last_error"]) == (0, None)
    assert feed["next_try_at"] == (clock.now + timedelta(minutes=30)).isoformat()


async def test_malformed_huge_and_non_feeds(
    core: Core, run: Callable[..., Any], server: FeedServer, clock: Clock
) -> None:
    assert (await run(SG)).ok
    server.routes["/broken.rss"] = "malformed.rss"
    server.routes["/page"] = "not_a_feed.html"
    server.routes["/huge.rss"] = "huge.rss"
    for path in ("/broken.rss", "/page", "/huge.rss", "/endless", "/slow"):
        assert (await run(f"feeds add {server.url(path)}")).ok
    policy = FetchPolicy(allow_private=True, max_bytes=50_000, timeout=0.5)
    small = FeedReader(core.store, clock, policy)
    try:
        results = dict(await small.read_due())
    finally:
        await small.close()
    assert results[1].startswith("200: 2 new items, 1 suggestion; read leniently: ")
    assert results[2] == (
        "error: not a readable RSS or Atom feed (text/html is not an XML media type)"
    )
    assert results[3] == "error: larger than the limit of 50,000 bytes: refused"
    assert results[4] == "error: larger than the limit of 50,000 bytes: refused"  # streamed
    assert results[5] == "error: no complete answer within 0.5 s"
    assert [(s.member, s.stance) for s in await pending(core)] == [("PL", Stance.SUPPORT)]
    listing = (await run("feeds list")).data["feeds"]
    assert [f["failures"] for f in listing] == [0, 1, 1, 1, 1]


async def test_private_addresses_are_refused_unless_allowed(
    core: Core, run: Callable[..., Any], server: FeedServer, clock: Clock
) -> None:
    assert (await run(SG)).ok
    server.routes["/sg.rss"] = "sg_news.rss"
    assert (await run(f"feeds add {server.url('/sg.rss')}")).ok
    by_name = server.url("/sg.rss").replace("127.0.0.1", "localhost")
    assert (await run(f"feeds add {by_name}")).ok  # a name, checked as it is resolved
    strict = FeedReader(core.store, clock)
    try:
        assert await strict.read_due() == [
            (1, "error: 127.0.0.1 is a private or local address: refused"),
            (2, "error: localhost is a private or local address: refused"),
        ]
    finally:
        await strict.close()
    assert server.seen == []


async def test_feed_commands_check_their_input(
    core: Core, run: Callable[..., Any], server: FeedServer
) -> None:
    assert (await run(SG)).ok
    url = server.url("/sg.rss")
    empty = await run("feeds list")
    assert (empty.title, empty.data) == ("No news feeds", {"feeds": []})
    bad = await run("feeds add not-a-url")
    assert not bad.ok and "'not-a-url' is not a web address" in bad.title
    bad = await run(f"feeds add {url} every=1")
    assert not bad.ok
    bad = await run(f'feeds add {url} keywords=" , ,"')
    assert not bad.ok and "keywords= needs words" in bad.title
    refused = await run(f"feeds add {url}", actor=READER)
    assert not refused.ok
    assert (await run("feeds list", actor=READER)).ok is False
    added = await run(f'feeds add {url} keywords="secrétaire général, Generalsekretär" every=60')
    assert added.ok
    assert added.data["feed"]["keywords"] == ["secrétaire général", "Generalsekretär"]
    assert added.data["feed"]["interval_minutes"] == 60
    assert added.lines[0] == (
        "Each new item that names a member of NATO and mentions Mark Rutte, Klaus Iohannis, "
        '"secrétaire général", "Generalsekretär" or two words of its title (nato, secretary, '
        "general) becomes a suggestion in /tally review."
    )
    again = await run(f"feeds add {url} tracker=nato-sg-2024")
    assert not again.ok and "already read for this tracker (feed 1)" in again.title
    assert not (await run("feeds remove 7")).ok
    removed = await run(f"feeds remove {url}")
    assert removed.ok and removed.title == f"Feed 1 removed: {url}"
    assert (await run("feeds list")).data == {"feeds": []}
    assert (await run('tracker close nato-sg-2024 outcome="Rutte appointed"')).ok
    closed = await run(f"feeds add {url} tracker=nato-sg-2024")
    assert not closed.ok and "nato-sg-2024 is decided: feeds suggest only for open" in closed.title


async def test_the_feeds_job_runs_on_the_alert_scheduler(core: Core, clock: Clock) -> None:
    """`tallybot run` adds the feeds job to the alert scheduler (AlertScheduler.every)."""
    scheduler = AlertScheduler(core.store, {}, clock)
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    await scheduler.start()
    try:
        scheduler.every("feeds", 60, job)
        await asyncio.wait_for(ran.wait(), timeout=10)
    finally:
        await scheduler.stop()


async def test_a_feed_suggestion_is_recorded_only_by_a_moderators_confirm(
    core: Core, run: Callable[..., Any], server: FeedServer, reader: FeedReader
) -> None:
    assert (await run(SWEDEN)).ok
    server.routes["/nord.atom"] = "sweden.atom"
    assert (await run(f"feeds add {server.url('/nord.atom')} tracker=sweden-accession")).ok
    await reader.read_due()
    review = await run("review sweden-accession")
    assert review.ok
    shown = "\n".join(line for item in review.items for line in (item.title, *item.lines))
    assert "matched 'Ungarns' -> Hungary" in shown, shown
    assert await declarations(core) == 0
    first = (await pending(core))[0]
    refused = await run(f"confirm {first.id}", actor=READER)
    assert not refused.ok and await declarations(core) == 0
    confirmed = await run(f"confirm {first.id}")
    assert confirmed.ok, confirmed
    assert await declarations(core) == 1
    position = await run("position HU sweden-accession")
    assert "nord.example.net/2024/02/26/ungarn-schweden" in str(position.data), position.data


async def test_a_community_sees_and_removes_only_its_own_feeds(
    run: Callable[..., Any], server: FeedServer
) -> None:
    from bot.commands.context import Actor

    a = Actor("slack", "TA", "UA", "ann", platform_moderator=True, channel="C1")
    b = Actor("slack", "TB", "UB", "bob", platform_moderator=True, channel="C2")
    assert (await run(SG, actor=b)).ok
    assert (await run(f"feeds add {server.url('/b.rss')}", actor=b)).ok
    assert (await run("feeds list", actor=a)).data == {"feeds": []}
    refused = await run("feeds remove 1", actor=a)
    assert not refused.ok and refused.title.endswith(
        "No feed '1' here: /tally feeds list shows their ids."
    )
    assert not (await run(f"feeds add {server.url('/a.rss')} tracker=nato-sg-2024", actor=a)).ok
    assert [f["id"] for f in (await run("feeds list", actor=b)).data["feeds"]] == [1]


async def test_two_processes_read_a_due_feed_once(
    core: Core, run: Callable[..., Any], clock: Clock, server: FeedServer, db_path: Any
) -> None:
    """Every process of a deployment runs the feeds job; each due feed is claimed by one."""
    from bot.settings import Settings
    from tallybot.wiring import open_core

    assert (await run(SG)).ok
    server.routes["/sg.rss"] = "sg_news.rss"
    assert (await run(f"feeds add {server.url('/sg.rss')}")).ok
    other = open_core(Settings(db_path=db_path), clock)  # its own connection to the file
    first, second = FeedReader(core.store, clock, LOCAL), FeedReader(other.store, clock, LOCAL)
    try:
        results = await asyncio.gather(first.read_due(), second.read_due())
    finally:
        await first.close()
        await second.close()
        other.close()
    assert sorted(results, key=len) == [[], [(1, "200: 4 new items, 3 suggestions")]]
    assert len(server.requests("/sg.rss")) == 1
    assert len(await pending(core)) == 3


async def test_a_feed_s_secret_never_shows_in_its_public_name(run: Callable[..., Any]) -> None:
    """A private feed's key (?key=, user:password@) stays out of the name that credits its
    suggestions in public history and of the public 'removed' answer; feeds list (moderators
    only) still shows the whole address."""
    from bot.feeds.model import shown_address

    assert (await run(SG)).ok
    url = "https://reader:pw@news.example.org:8443/rss/nato?key=S3CRET#top"
    assert shown_address(url) == "https://news.example.org:8443/rss/nato"
    assert shown_address("http://[::1]/feed?t=1") == "http://[::1]/feed"
    assert (await run(f"feeds add {url} tracker=nato-sg-2024")).ok
    assert url in str((await run("feeds list")).lines + (await run("feeds list")).fields)
    removed = await run("feeds remove 1")
    assert removed.title == "Feed 1 removed: https://news.example.org:8443/rss/nato"
    assert "S3CRET" not in removed.title and "pw" not in removed.title


async def test_a_failing_feed_s_key_is_not_logged(
    run: Callable[..., Any],
    server: FeedServer,
    reader: FeedReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert (await run(SG)).ok
    server.failing["/down.rss"] = 503
    assert (await run(f"feeds add {server.url('/down.rss')}?key=S3CRET")).ok
    caplog.set_level("INFO")
    assert await reader.read_due() == [(1, "error: HTTP 503 Service Unavailable")]
    assert "/down.rss" in caplog.text and "S3CRET" not in caplog.text
