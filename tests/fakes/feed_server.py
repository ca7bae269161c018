"""A news site on 127.0.0.1 serving the feed documents of tests/data/feeds as a real server
would: ETag and Last-Modified on each answer, 304 to a conditional GET that matches, and every
request's headers kept so tests can see what the reader sent."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
LAST_MODIFIED = "Tue, 05 Mar 2024 18:00:00 GMT"
TYPES = {".rss": "application/rss+xml", ".atom": "application/atom+xml", ".html": "text/html"}


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FeedServer:
    routes: dict[str, str] = field(default_factory=dict)
    """Path -> file name in tests/data/feeds (change it to publish a new version)."""
    failing: dict[str, int] = field(default_factory=dict)
    """Path -> HTTP status to answer instead."""
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/endless", self._endless)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/{name:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._stopping.set()  # a slow answer still pending gives up
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path in self.failing:
            return self._note(request, web.Response(status=self.failing[path], text="down"))
        name = self.routes.get(path)
        if name is None:
            return self._note(request, web.Response(status=404, text="no such feed"))
        body = (FEEDS / name).read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == etag:
            return self._note(request, web.Response(status=304, headers=headers))
        content_type = TYPES.get(Path(name).suffix, "application/xml")
        response = web.Response(body=body, headers=headers, content_type=content_type)
        return self._note(request, response)

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """A feed that never ends (no Content-Length, chunks until the reader hangs up)."""
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        self._note(request, response)
        await response.prepare(request)
        await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        chunk = b"<item><title>more</title></item>" * 1000
        try:
            while True:
                await response.write(chunk)
                await asyncio.sleep(0)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        """A server that accepts the request and does not answer in time."""
        self._note(request, web.Response(status=200))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=30)
        return web.Response(status=200, text="too late")

    def _note(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        self.seen.append(Seen(request.path, dict(request.headers), response.status))
        return response
