"""The public pages as aiohttp routes: mount them on any aiohttp application.

Each request asks the store (one read-only unit of work on its thread) whether the tracker is
public and when it last changed; that answers 404, 304, or picks a cached rendering keyed by
the tracker's last change. A miss reads the page's data on the store thread and renders it on
the default executor, so neither the SQL nor the template ever runs on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from adapters.web import feed, view
from adapters.web.cache import LruCache
from adapters.web.reading import (
    Listing,
    Meta,
    Record,
    TimelineSource,
    change_stamp,
    csv_export,
    listings,
    public_meta,
    tally_on,
    timeline_source,
    tracker_page,
    tracker_record,
)
from bot.pictures.files import PNG, card_png, timeline_png
from bot.pictures.renderer import RendererFailed
from bot.pictures.worker import on_picture_thread
from bot.tally import future_as_of, reading_day

if TYPE_CHECKING:
    from bot.storage import Records, Store, Transaction

log = logging.getLogger(__name__)

VERSION = "2"
"""Part of every ETag: bump when the templates change what a page shows."""
SLUG = "{slug:[a-z0-9][a-z0-9-]{1,39}}"
COMMUNITY = "{community:[a-z0-9][a-z0-9-]{1,39}}"
AS_OF = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'none'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
)
HTML = "text/html"
RECORDS = 8
"""Trackers whose whole record is kept between requests (a record holds every declaration)."""
META_LIMIT = 1024
"""Slugs whose public state is remembered (unknown ones too, so bound it)."""
PICTURES = 64
"""Rendered pictures kept (tens of kilobytes each), apart from the pages so they never push
pages out."""
"""Slugs whose public state is remembered (unknown ones too, so bound it)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class BadDate(Exception):
    """`as_of` is not a date, or the tracker had not opened on it: the sentence says which."""


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    filename: str | None = None


class Pages:
    """The public pages of one store. `cache_size=0` renders every request (the cold bench)."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = utc_now,
        cache_size: int = 256,
        base_url: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.base_url = base_url.rstrip("/") if base_url else None
        self.cache: LruCache[Rendered] = LruCache(cache_size)
        self.pictures: LruCache[Rendered] = LruCache(min(cache_size, PICTURES))
        self._metas: dict[str, tuple[tuple[int, int], Meta | None]] = {}
        """Read and written on the store thread only."""
        self._records: LruCache[Record] = LruCache(RECORDS if cache_size else 0)
        """Read and written on the store thread only."""
        self._listing: tuple[tuple[int, int], date, list[Listing]] | None = None
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("adapters.web", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        static = resources.files("adapters.web") / "static"
        self.css = (static / "style.css").read_bytes()
        self.favicon = (static / "favicon.svg").read_bytes()
        # A new stylesheet gets a new URL, so a day-long browser cache never serves an old one.
        version = hashlib.sha256(self.css).hexdigest()[:12]
        self.templates.globals["stylesheet"] = f"/static/style.css?v={version}"

    def add_routes(self, app: web.Application) -> None:
        guard = _with_headers
        app.router.add_get("/", guard(self.index))
        app.router.add_get("/static/style.css", guard(self.stylesheet))
        app.router.add_get("/favicon.ico", guard(self.icon))
        app.router.add_get("/favicon.svg", guard(self.icon))
        # /t/COMMUNITY/SLUG is a tracker's own address; /t/SLUG (the oldest public tracker of
        # that name) keeps links made before communities working. Fixed endings come first, so
        # /t/SLUG/embed is the embed of SLUG, never a tracker called "embed".
        for prefix in (f"/t/{SLUG}", f"/t/{COMMUNITY}/{SLUG}"):
            app.router.add_get(f"{prefix}.json", guard(self.tracker_json))
            app.router.add_get(f"{prefix}.csv", guard(self.tracker_csv))
            app.router.add_get(f"{prefix}/feed.atom", guard(self.tracker_feed))
            app.router.add_get(f"{prefix}/embed", guard(self.tracker_embed, framed=True))
            app.router.add_get(f"{prefix}/card.png", guard(self.tracker_card))
            app.router.add_get(f"{prefix}/timeline.png", guard(self.tracker_timeline))
        app.router.add_get(f"/t/{SLUG}", guard(self.tracker_html))
        app.router.add_get(f"/t/{COMMUNITY}/{SLUG}", guard(self.tracker_html))

    # store side (runs on the store thread) ---------------------------------------------------

    def _meta(self, repo: Records, slug: str) -> Meta | None:
        stamp = change_stamp(repo)
        known = self._metas.get(slug)
        if known is not None and known[0] == stamp:
            return known[1]
        if len(self._metas) >= META_LIMIT:
            self._metas.clear()
        meta = public_meta(repo, slug)
        self._metas[slug] = (stamp, meta)
        return meta

    def _record(self, repo: Records, meta: Meta) -> Record:
        key = (meta.tracker, meta.last_change, meta.revision)
        record = self._records.get(key)
        if record is None:
            record = tracker_record(repo, meta.tracker)
            self._records.put(key, record)
        return record

    def _listings(self, repo: Records, today: date) -> list[Listing]:
        stamp = change_stamp(repo)
        if self._listing and self._listing[:2] == (stamp, today):
            return self._listing[2]
        found = listings(repo, today)
        self._listing = (stamp, today, found)
        return found

    # handlers --------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        today = self.clock().date()
        found = await self.store.run(lambda tx: self._listings(tx.records, today), write=False)
        changed = max((item.last_change for item in found), default=_midnight(today))
        modified = max(changed, _midnight(today))
        key = ("index", today, tuple((i.tally.tracker, i.last_change, i.revision) for i in found))
        etag = _etag(key)
        if _not_modified(request, etag, modified):
            return _not_modified_response(etag, modified)

        def render() -> bytes:
            return self._html("index.html", trackers=[_listed(i) for i in found])

        return await self._cached(key, etag, modified, HTML, render)

    async def stylesheet(self, request: web.Request) -> web.StreamResponse:
        return _static(self.css, "text/css")

    async def icon(self, request: web.Request) -> web.StreamResponse:
        return _static(self.favicon, "image/svg+xml")

    async def tracker_html(self, request: web.Request) -> web.StreamResponse:
        def build(repo: Records, meta: Meta, day: date) -> Any:
            return tracker_page(repo, meta, day, self.clock().date(), self._record(repo, meta))

        def render(page: Any, path: str) -> bytes:
            return self._html("tracker.html", **self._page_context(request, page, path))

        return await self._tracker_route(request, "page", HTML, build, render)

    async def tracker_embed(self, request: web.Request) -> web.StreamResponse:
        def build(repo: Records, meta: Meta, day: date) -> Any:
            return tally_on(repo, meta.tracker, day)

        def render(tally: Any, path: str) -> bytes:
            return self._html(
                "embed.html",
                tally=tally,
                summary=view.summary(tally),
                cells=view.cells(tally),
                page_url=self._url(request, path),
            )

        return await self._tracker_route(request, "embed", HTML, build, render)

    async def tracker_json(self, request: web.Request) -> web.StreamResponse:
        def build(repo: Records, meta: Meta, day: date) -> Any:
            return tally_on(repo, meta.tracker, day).to_data()

        def render(data: Any, path: str) -> bytes:
            return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()

        return await self._tracker_route(request, "json", "application/json", build, render)

    async def tracker_csv(self, request: web.Request) -> web.StreamResponse:
        def build(repo: Records, meta: Meta, day: date) -> Any:
            return csv_export(repo, meta.tracker)

        def render(data: Any, path: str) -> bytes:
            return bytes(data)

        return await self._tracker_route(
            request, "csv", "text/csv", build, render, whole_record=True
        )

    async def tracker_feed(self, request: web.Request) -> web.StreamResponse:
        def build(repo: Records, meta: Meta, day: date) -> Any:
            return tracker_page(repo, meta, day, self.clock().date(), self._record(repo, meta))

        def render(page: Any, path: str) -> bytes:
            return feed.atom(
                page, self._url(request, path), self._url(request, f"{path}/feed.atom")
            )

        return await self._tracker_route(
            request, "atom", "application/atom+xml", build, render, whole_record=True
        )

    async def tracker_card(self, request: web.Request) -> web.StreamResponse:
        def build(repo: Records, meta: Meta, day: date) -> Any:
            return tally_on(repo, meta.tracker, day)

        return await self._tracker_route(
            request, "card", PNG, build, lambda tally, _: card_png(tally), picture=True
        )

    async def tracker_timeline(self, request: web.Request) -> web.StreamResponse:
        def build(repo: Records, meta: Meta, day: date) -> Any:
            return day, timeline_source(repo, meta.tracker)

        def render(data: tuple[date, TimelineSource], path: str) -> bytes:
            day, source = data
            return timeline_png(source.tracker, source.body, source.rows, source.events, day)

        return await self._tracker_route(request, "timeline", PNG, build, render, picture=True)

    # the shared path of every tracker route --------------------------------------------------

    async def _tracker_route(
        self,
        request: web.Request,
        variant: str,
        content_type: str,
        build: Callable[[Records, Meta, date], Any],
        render: Callable[[Any, str], bytes],
        whole_record: bool = False,
        picture: bool = False,
    ) -> web.StreamResponse:
        """404 unless public; 400 for a bad as_of; 304 when unchanged; else the rendering.
        A picture is drawn on the picture thread and process (bot/pictures/worker.py), and
        kept in its own cache."""
        slug = request.match_info["slug"]
        if community := request.match_info.get("community"):
            slug = f"{community}/{slug}"
        try:  # checked everywhere, used where a date applies (the CSV and feed are the record)
            as_of = parse_as_of(request.query.get("as_of"))
        except BadDate as exc:
            return _sentence(400, str(exc))
        meta = await self.store.run(lambda tx: self._meta(tx.records, slug), write=False)
        if meta is None:
            return _sentence(404, f"No public tracker '{slug}'.")
        today = self.clock().date()
        if future := future_as_of(as_of, today):
            return _sentence(400, future)
        if whole_record and as_of is not None:
            return _sentence(
                400,
                f"The {'CSV' if variant == 'csv' else 'feed'} is the whole record, every "
                "declaration with its date: "
                "it takes no as_of. Leave as_of out.",
            )
        day = reading_day(meta.tracker, as_of, today)
        if day < meta.tracker.opened:
            return _sentence(
                400,
                f"{slug} opened on {meta.tracker.opened}: there is no tally on {day}. "
                f"Give as_of={meta.tracker.opened} or later.",
            )
        key = (variant, slug, day, meta.last_change, meta.revision)
        modified = meta.last_change
        if as_of is None and day == today:
            modified = max(modified, _midnight(today))  # today's page turns at midnight
        etag = _etag(key)
        if _not_modified(request, etag, modified):
            return _not_modified_response(etag, modified)
        cache = self.pictures if picture else self.cache
        cached = cache.get(key)
        if cached is None:

            def read(tx: Transaction) -> tuple[Meta | None, Any]:
                repo = tx.records
                fresh = self._meta(repo, slug)  # it may have changed since the check above
                if fresh is None:
                    return None, None
                return fresh, build(repo, fresh, day)

            fresh, data = await self.store.run(read, write=False)
            if fresh is None:
                return _sentence(404, f"No public tracker '{slug}'.")
            if fresh != meta:
                key = (variant, slug, day, fresh.last_change, fresh.revision)
                modified, etag = max(modified, fresh.last_change), _etag(key)
            try:
                path = fresh.path
                body = await (on_picture_thread if picture else _off_loop)(
                    lambda: render(data, path)
                )
            except RendererFailed:
                log.exception("the %s picture of %s could not be drawn", variant, slug)
                return _sentence(503, "The picture could not be drawn just now: try again.")
            filename = f"{fresh.tracker.slug}.csv" if variant == "csv" else None
            cached = Rendered(body, content_type, etag, modified, filename)
            cache.put(key, cached)
        return _response(cached)

    async def _cached(
        self,
        key: tuple[Any, ...],
        etag: str,
        modified: datetime,
        content_type: str,
        render: Callable[[], bytes],
    ) -> web.StreamResponse:
        cached = self.cache.get(key)
        if cached is None:
            cached = Rendered(await _off_loop(render), content_type, etag, modified)
            self.cache.put(key, cached)
        return _response(cached)

    def _html(self, name: str, **context: Any) -> bytes:
        return self.templates.get_template(name).render(**context).encode()

    def _page_context(self, request: web.Request, page: Any, path: str) -> dict[str, Any]:
        tally = page.tally
        cells = view.cells(tally)
        day = tally.as_of.isoformat()
        return {
            "page": page,
            "tally": tally,
            "tracker": tally.tracker,
            "summary": view.summary(tally),
            "cells": cells,
            "legend": view.legend(cells),
            "steps": list(reversed(page.steps)),
            "history": view.history(page),
            "page_url": self._url(request, path),
            "page_path": path,
            "timeline_alt": view.timeline_alt(page),
            "pictures": {
                "timeline": f"{path}/timeline.png?as_of={day}",
                "card": f"{path}/card.png?as_of={day}",
            },
            "links": {
                "json": f"{path}.json",
                "csv": f"{path}.csv",
                "feed": f"{path}/feed.atom",
                "embed": f"{path}/embed",
            },
        }

    def _url(self, request: web.Request, path: str) -> str:
        base = self.base_url or str(request.url.origin())
        return base + path


async def _off_loop(work: Callable[[], bytes]) -> bytes:
    """Shaping and rendering run on the default executor: the event loop only moves bytes."""
    return await asyncio.get_running_loop().run_in_executor(None, work)


def parse_as_of(text: str | None) -> date | None:
    """YYYY-MM-DD, or nothing (an empty field of the date form counts as nothing)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if not AS_OF.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise BadDate(f"as_of={shown!r} is not a date: give it as YYYY-MM-DD.") from None


def _listed(item: Listing) -> dict[str, Any]:
    tally = item.tally
    return {
        "tracker": tally.tracker,
        "summary": view.summary(tally),
        "as_of": tally.as_of.isoformat(),
        "url": item.path,
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _etag(key: tuple[Any, ...]) -> str:
    digest = hashlib.sha256(repr((VERSION, key)).encode()).hexdigest()[:24]
    return f'"{digest}"'


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since (second precision)."""
    if request.if_none_match is not None:
        return any(tag.value == "*" or f'"{tag.value}"' == etag for tag in request.if_none_match)
    since = request.if_modified_since
    return since is not None and modified.replace(microsecond=0) <= since


def _validators(etag: str, modified: datetime) -> dict[str, str]:
    return {
        "ETag": etag,
        "Last-Modified": format_datetime(modified.astimezone(UTC), usegmt=True),
        "Cache-Control": "public, no-cache",
    }


def _not_modified_response(etag: str, modified: datetime) -> web.Response:
    return web.Response(status=304, headers=_validators(etag, modified))


def _response(rendered: Rendered) -> web.Response:
    headers = _validators(rendered.etag, rendered.last_modified)
    if rendered.filename:
        headers["Content-Disposition"] = f'inline; filename="{rendered.filename}"'
    text = not rendered.content_type.startswith("image/")
    return web.Response(
        body=rendered.body,
        content_type=rendered.content_type,
        charset="utf-8" if text else None,
        headers=headers,
    )


def _sentence(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type="text/plain")


def _static(content: bytes, content_type: str) -> web.Response:
    return web.Response(
        body=content,
        content_type=content_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _with_headers(handler: Handler, framed: bool = False) -> Handler:
    """Every response of the pages forbids script and plugins; only the embed may be framed."""
    policy = CSP.format(ancestors="*" if framed else "'none'")

    async def guarded(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if not framed:
            response.headers["X-Frame-Options"] = "DENY"
        return response

    return guarded


def pages_application(pages: Pages) -> web.Application:
    """A stand-alone application serving the pages alone (`tallybot web`)."""
    app = web.Application()
    pages.add_routes(app)
    return app
