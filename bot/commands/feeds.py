"""`/tally feeds add|list|remove`: the news feeds a community reads for a tracker (moderators).

A feed only ever suggests: each new item that names a member and is about the tracker waits in
the review queue for a moderator's confirm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.commands.context import Context
from bot.commands.params import TRACKER_OPT
from bot.commands.spec import Command, NoArgs, Param, ParamKind
from bot.domain import TrackerStatus
from bot.errors import NotFound, UserError
from bot.feeds.matching import candidate_spellings, title_words
from bot.feeds.model import DEFAULT_INTERVAL, MAX_FEEDS, MAX_KEYWORDS, MIN_INTERVAL, Feed
from bot.replies import Colour, Field, Reply, Visibility
from bot.storage import Feeds

MAX_KEYWORD = 100


@dataclass(frozen=True)
class AddFeedArgs:
    url: str
    tracker: str | None = None
    keywords: str | None = None
    every: int | None = None
    """Minutes between reads."""


def add_feed(ctx: Context, args: AddFeedArgs) -> Reply:
    feeds = _feeds(ctx)
    url = args.url  # checked by the URL parameter: a full http(s) address
    tracker = ctx.tracker(args.tracker)
    if tracker.status is not TrackerStatus.OPEN:
        raise UserError(
            f"{tracker.slug} is {tracker.status}: feeds suggest only for open trackers "
            f"(/tally tracker reopen {tracker.slug} first)."
        )
    keywords = parse_keywords(args.keywords)
    if len(feeds.feeds(ctx.community.id)) >= MAX_FEEDS:
        raise UserError(
            f"This community already reads {MAX_FEEDS} feeds, the most it may: remove one "
            "first (/tally feeds list)."
        )
    body = ctx.body(tracker)
    about = [*candidate_spellings(tracker)]
    if tracker.subject:
        about.append(body.get(tracker.subject).name)
    about += [f'"{k}"' for k in keywords]
    words = title_words(tracker.title)
    if len(words) > 1:
        about.append(f"two words of its title ({', '.join(words)})")
    elif words:
        about.append(f"its title word {words[0]}")
    if not about:
        raise UserError(
            f"Nothing tells {tracker.slug}'s news apart (no candidate, applicant or title "
            'word): add keywords="...".'
        )
    interval = timedelta(minutes=args.every) if args.every else DEFAULT_INTERVAL
    feed = feeds.add_feed(
        community_id=ctx.community.id,
        url=url,
        tracker_id=tracker.id,
        keywords=keywords,
        interval_seconds=int(interval.total_seconds()),
        by=ctx.actor.ref,
        now=ctx.now,
    )
    return Reply(
        title=f"Feed {feed.id} added for {tracker.slug}: read every {_minutes(feed.interval)}",
        lines=(
            f"Each new item that names a member of {body.in_sentence} and mentions "
            f"{_or(about)} becomes a suggestion in /tally review.",
            "Nothing from a feed is recorded until a moderator confirms it.",
        ),
        context=(f"Added by {ctx.actor.display_name}. /tally feeds list shows how it reads.",),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"feed": feed_data(feed, tracker.slug)},
    )


FEEDS_ADD = Command(
    path=("feeds", "add"),
    summary="Read an RSS or Atom feed: its items become suggestions for moderators.",
    handler=add_feed,
    why_moderators="changes the news feeds the community reads",
    args=AddFeedArgs,
    moderator_only=True,
    params=(
        Param(
            "url",
            ParamKind.URL,
            "The feed's address (http or https).",
            required=True,
            positional=True,
            metavar="URL",
        ),
        TRACKER_OPT,
        Param(
            "keywords",
            ParamKind.TEXT,
            "Words that make an item about the tracker, comma-separated (besides the "
            "candidates, the applicant and the title words).",
            metavar='"a, b"',
        ),
        Param(
            "every",
            ParamKind.INTEGER,
            "Minutes between reads (default 30, at least 5).",
            metavar="MINUTES",
            min_value=int(MIN_INTERVAL.total_seconds() // 60),
            max_value=7 * 24 * 60,
        ),
    ),
    examples=(
        "/tally feeds add https://example.org/nato.rss tracker=nato-sg-2024",
        '/tally feeds add https://example.org/fr.atom keywords="secrétaire général, OTAN"',
    ),
)


def list_feeds(ctx: Context, args: NoArgs) -> Reply:
    feeds = _feeds(ctx).feeds(ctx.community.id)
    if not feeds:
        return Reply(
            title="No news feeds",
            lines=('Add one with /tally feeds add URL [tracker=] [keywords="..."].',),
            data={"feeds": []},
        )
    fields = []
    data = []
    for feed in feeds:
        slug = _slug(ctx, feed)
        fields.append(Field(f"Feed {feed.id}: {feed.name}", describe(feed, slug), separator="\n"))
        data.append(feed_data(feed, slug))
    return Reply(
        title=f"News feeds ({len(feeds)})",
        fields=tuple(fields),
        context=("/tally feeds remove ID stops one; what they suggest waits in /tally review.",),
        data={"feeds": data},
    )


FEEDS_LIST = Command(
    path=("feeds", "list"),
    summary="The news feeds read, how each last went, and what they suggested.",
    handler=list_feeds,
    args=NoArgs,
    moderator_only=True,
    why_moderators="shows the community's feeds and their errors",
)


@dataclass(frozen=True)
class RemoveFeedArgs:
    feed: str


def remove_feed(ctx: Context, args: RemoveFeedArgs) -> Reply:
    feeds = _feeds(ctx)
    mine = feeds.feeds(ctx.community.id)
    text = args.feed.strip().removeprefix("<").removesuffix(">").split("|", 1)[0]
    number = text.removeprefix("#")
    if number.isdigit():
        matches = [f for f in mine if f.id == int(number)]
    else:
        matches = [f for f in mine if f.url == text]
    if not matches:
        raise NotFound(f"No feed '{args.feed}' here: /tally feeds list shows their ids.")
    if len(matches) > 1:
        ids = ", ".join(str(f.id) for f in matches)
        raise UserError(f"That address is read for several trackers (feeds {ids}): name the id.")
    feed = matches[0]
    feeds.remove_feed(feed.id)
    return Reply(
        title=f"Feed {feed.id} removed: {feed.name}",
        lines=("Suggestions it already made stay in the review queue.",),
        context=(f"Removed by {ctx.actor.display_name}.",),
        visibility=Visibility.PUBLIC,
        data={"feed": feed_data(feed, _slug(ctx, feed)), "removed": True},
    )


FEEDS_REMOVE = Command(
    path=("feeds", "remove"),
    summary="Stop reading a news feed.",
    handler=remove_feed,
    why_moderators="changes the news feeds the community reads",
    args=RemoveFeedArgs,
    moderator_only=True,
    params=(
        Param(
            "feed",
            ParamKind.TEXT,
            "The feed's id (as /tally feeds list shows it) or its address.",
            required=True,
            positional=True,
            metavar="ID|URL",
            max_length=2000,
        ),
    ),
)


def parse_keywords(text: str | None) -> tuple[str, ...]:
    """'a, b' -> ('a', 'b'): phrases, each a whole-word match in an item."""
    if not text:
        return ()
    words = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    if len(words) > MAX_KEYWORDS:
        raise UserError(f"keywords= lists {len(words)} phrases; at most {MAX_KEYWORDS}.")
    long = next((k for k in words if len(k) > MAX_KEYWORD), None)
    if long is not None:
        raise UserError(f"keyword '{long[:40]}...' is too long: at most {MAX_KEYWORD} characters.")
    if not any(any(c.isalnum() for c in k) for k in words):
        raise UserError('keywords= needs words: keywords="secretary general, OTAN".')
    return words


def describe(feed: Feed, slug: str) -> tuple[str, ...]:
    lines = [
        f"address: {feed.url}",
        f"tracker: {slug}" + (f" · keywords: {', '.join(feed.keywords)}" if feed.keywords else ""),
        f"read every {_minutes(feed.interval)} · last read: {_when(feed.last_read_at)}"
        f" · last status: {feed.last_status or 'not read yet'}",
    ]
    if feed.failures:
        lines.append(
            f"⚠ {feed.failures} error(s) in a row, last: {feed.last_error} · backing off, "
            f"next try {_when(feed.next_try_at)}"
        )
    lines.append(f"suggestions made: {feed.suggested}")
    return tuple(lines)


def feed_data(feed: Feed, slug: str) -> dict[str, object]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "tracker": slug,
        "keywords": list(feed.keywords),
        "interval_minutes": int(feed.interval.total_seconds() // 60),
        "last_read_at": iso(feed.last_read_at),
        "last_checked_at": iso(feed.last_checked_at),
        "last_status": feed.last_status,
        "failures": feed.failures,
        "last_error": feed.last_error,
        "next_try_at": iso(feed.next_try_at),
        "suggested": feed.suggested,
    }


def _feeds(ctx: Context) -> Feeds:
    if ctx.feeds is None:
        raise UserError("News feeds are not available on this store.")
    return ctx.feeds


def _slug(ctx: Context, feed: Feed) -> str:
    try:
        return ctx.repo.tracker_by_id(feed.tracker_id).slug
    except NotFound:
        return f"tracker {feed.tracker_id}"


def _minutes(interval: timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _or(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]
