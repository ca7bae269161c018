"""Reading the news feeds: HTTP with aiohttp, parsing with feedparser, the rest in the core.

Polite by construction: a conditional GET (If-None-Match / If-Modified-Since from the last
answer), each feed at its own interval (`next_try_at`), exponential backoff after errors, a
size limit (reading stops past it and the feed is refused cleanly), a timeout, and no private
addresses (a moderator's URL must not reach the bot's own network) unless allowed. The
scheduled job runs on the alert scheduler of `tallybot run` (`AlertScheduler.every`), so only
the process that delivers alerts for a database reads its feeds.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlparse

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.alerts.scheduler import AlertScheduler
from bot.app import Core
from bot.feeds.intake import FeedItem, Fetched, Intake, note_failure, take_in
from bot.feeds.model import Feed, shown_address
from bot.feeds.text import MAX_TITLE, plain_text
from bot.storage import Store

log = logging.getLogger(__name__)

FEEDS_JOB = "feeds"
CHECK_EVERY = 60.0
"""Seconds between looks for feeds that are due (each feed has its own interval)."""
MAX_KEY = 500
MAX_HEADER = 500
MAX_REDIRECTS = 5
HOLD_MARGIN = 60
"""Seconds, beyond three timeouts, that a claimed feed is held for its reader (see
Feeds.claim_due): every process of a deployment runs the job, each feed is read by one."""


class FeedError(Exception):
    """Why a feed could not be read, in words `feeds list` shows."""


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = 2_000_000
    timeout: float = 20.0
    max_items: int = 100
    """Items looked at per read (the newest ones)."""
    concurrency: int = 4
    per_run: int = 50
    """Feeds read per run of the job; the others wait for the next minute."""
    allow_private: bool = False
    """Loopback and private addresses (tests; a deployment reading its own intranet)."""
    user_agent: str = "tallybot-feeds/1 (+https://github.com/tallybot)"


async def fetch(session: aiohttp.ClientSession, feed: Feed, policy: FetchPolicy) -> Fetched:
    """One conditional GET of the feed, redirects followed by hand (each hop's address is
    checked), the body read up to the size limit, then parsed off the event loop."""
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
        "text/xml;q=0.8, */*;q=0.5",
    }
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.modified:
        headers["If-Modified-Since"] = feed.modified
    url = feed.url
    timeout = aiohttp.ClientTimeout(total=policy.timeout)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            await check_address(url, policy)
            async with session.get(
                url, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                if response.status in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location")
                    if not location:
                        raise FeedError(f"HTTP {response.status} without a Location")
                    url = urljoin(url, location)
                    continue
                etag = _header(response, "ETag")
                modified = _header(response, "Last-Modified")
                if response.status == 304:
                    return Fetched(304, etag=etag, modified=modified)
                if response.status != 200:
                    raise FeedError(f"HTTP {response.status} {response.reason or ''}".strip())
                body = await _read_limited(response, policy.max_bytes)
                content_type = response.headers.get("Content-Type", "")
                break
        else:
            raise FeedError(f"more than {MAX_REDIRECTS} redirects")
    except TimeoutError:
        raise FeedError(f"no complete answer within {policy.timeout:g} s") from None
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, PrivateAddress):
            raise FeedError(str(exc.os_error)) from None
        raise FeedError(f"could not connect to {exc.host}: {exc.strerror or exc}") from None
    except aiohttp.ClientError as exc:
        raise FeedError(f"could not read it: {type(exc).__name__}: {exc}") from None
    fetched = await asyncio.to_thread(parse_document, body, url, content_type, policy.max_items)
    return Fetched(200, etag, modified, fetched.title, fetched.items, note=fetched.note)


def _header(response: aiohttp.ClientResponse, name: str) -> str | None:
    value = response.headers.get(name)
    return value[:MAX_HEADER] if value else None


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, or FeedError as soon as it passes `limit` bytes (decompressed): a huge or
    endless feed is refused without being held in memory."""
    if response.content_length is not None and response.content_length > limit:
        raise FeedError(f"larger than the limit of {limit:,} bytes: refused")
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > limit:
            raise FeedError(f"larger than the limit of {limit:,} bytes: refused")
    return bytes(body)


class PrivateAddress(OSError):
    """A feed's host resolved to an address the bot must not reach."""


class PublicOnlyResolver(ThreadedResolver):
    """The connector's resolver, refusing hosts that resolve to loopback, private, link-local
    or reserved addresses. The check is on the very addresses the connection then uses, so a
    name that answers differently to a second lookup (DNS rebinding) gains nothing."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await super().resolve(host, port, family)
        for result in found:
            if not ipaddress.ip_address(result["host"]).is_global:
                raise PrivateAddress(f"{host} is a private or local address: refused")
        return found


async def check_address(url: str, policy: FetchPolicy) -> None:
    """Refuse a scheme other than http(s) and (unless allowed) a private IP written as such
    (names are checked as they are resolved: PublicOnlyResolver)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FeedError(f"not an http(s) address: {url[:100]}")
    if policy.allow_private:
        return
    try:
        address = ipaddress.ip_address(parsed.hostname)
    except ValueError:
        return  # a name: resolved and checked by the connector
    if not address.is_global:
        raise FeedError(f"{parsed.hostname} is a private or local address: refused")


def parse_document(data: bytes, url: str, content_type: str, max_items: int) -> Fetched:
    """Items from an RSS or Atom document (feedparser: lenient with common mistakes, which
    are noted; a document it can make nothing of is an error)."""
    import feedparser

    parsed: Any = feedparser.parse(
        data,
        response_headers={
            "content-location": url,
            "content-type": content_type or "application/xml",
        },
    )
    entries = list(parsed.entries)
    title = parsed.feed.get("title") if parsed.feed else None
    if not entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") if parsed.bozo else "no RSS or Atom in it"
        raise FeedError(f"not a readable RSS or Atom feed ({_short(reason)})")
    note = f"read leniently: {_short(parsed.get('bozo_exception'))}" if parsed.bozo else None
    items = tuple(_item(entry, url) for entry in entries[:max_items])
    return Fetched(200, title=title, items=items, note=note)


def _short(reason: object) -> str:
    return " ".join(str(reason).split())[:120]


def _item(entry: Any, base: str) -> FeedItem:
    link = entry.get("link")
    link = urljoin(base, link) if isinstance(link, str) and link else None
    if link is not None and urlparse(link).scheme not in ("http", "https"):
        link = None
    title = plain_text(entry.get("title"), MAX_TITLE * 2)
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value", "")
    key = entry.get("id") or link or title
    if len(key) > MAX_KEY:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) if stamp else None
    return FeedItem(key, link, title, plain_text(summary), published)


class FeedReader:
    """Reads the feeds that are due and hands each result to the core in one transaction."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        policy: FetchPolicy | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy or FetchPolicy()
        self._session: aiohttp.ClientSession | None = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            resolver = None if self.policy.allow_private else PublicOnlyResolver()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=resolver, limit=self.policy.concurrency)
            )
        return self._session

    async def read_due(self) -> list[tuple[int, str]]:
        """Every feed whose time has come: (feed id, status or error) for each."""
        now = self.clock()
        hold = now + timedelta(seconds=self.policy.timeout * 3 + HOLD_MARGIN)
        due = await self.store.run(lambda tx: tx.feeds.claim_due(now, self.policy.per_run, hold))
        gate = asyncio.Semaphore(self.policy.concurrency)

        async def one(feed: Feed) -> tuple[int, str]:
            async with gate:
                return feed.id, await self.read(feed)

        return list(await asyncio.gather(*(one(feed) for feed in due)))

    async def read(self, feed: Feed) -> str:
        """Read one feed now; its status (as `feeds list` shows it) or its error. Any failure,
        expected or not, is noted on the feed and backs it off: one bad feed never stops the
        others or comes back every minute."""
        session = await self.session()
        try:
            fetched = await fetch(session, feed, self.policy)
        except FeedError as exc:
            error = str(exc)
        except Exception as exc:
            log.exception("feed %s (%s): reading failed", feed.id, shown_address(feed.url))
            error = f"unexpected error while reading: {type(exc).__name__}"
        else:
            now = self.clock()
            try:
                intake: Intake | None = await self.store.run(
                    lambda tx: take_in(tx, feed.id, fetched, now)
                )
            except Exception as exc:
                log.exception(
                    "feed %s (%s): recording the read failed", feed.id, shown_address(feed.url)
                )
                error = f"unexpected error while recording: {type(exc).__name__}"
            else:
                return intake.status if intake else "removed"
        now = self.clock()
        await self.store.run(lambda tx: note_failure(tx, feed.id, error, now))
        log.info("feed %s (%s): %s", feed.id, shown_address(feed.url), error)
        return f"error: {error}"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def feeds_summary(read: list[tuple[int, str]]) -> str:
    """One line for `tallybot dispatch --once`: 'feeds read: 2 (feed 1: 200: ...; ...)'."""
    return f"feeds read: {len(read)} (" + "; ".join(f"feed {i}: {s}" for i, s in read) + ")"


async def start_feeds(core: Core, alerts: AlertScheduler) -> FeedReader:
    """The feeds job of `tallybot run` and `tallybot dispatch`, on the alert scheduler."""
    policy = FetchPolicy(allow_private=core.settings.feeds_private)
    reader = FeedReader(core.store, core.dispatcher.clock, policy)
    alerts.every(FEEDS_JOB, CHECK_EVERY, reader.read_due)
    return reader
