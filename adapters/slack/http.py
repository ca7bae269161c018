"""HTTP mode: Bolt's aiohttp app (`/slack/events`) plus `/healthz`, served on the shared loop.

`AsyncApp.start()` would run its own loop; an AppRunner/TCPSite lives beside Discord and the
scheduler instead.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


async def healthz(request: web.Request) -> web.Response:
    """Liveness when the launcher mounts no fuller report: the loop answers."""
    return web.json_response({"status": "ok", "service": "tallybot-slack"})


Mount = Callable[[web.Application], None]
"""Adds more routes to the same application (the public pages)."""


def web_application(app: AsyncApp, port: int, mount: Mount | None = None) -> web.Application:
    application = app.web_app(path=EVENTS_PATH, port=port)
    if mount is not None:
        mount(application)
    if not any(r.canonical == HEALTH_PATH for r in application.router.resources()):
        application.router.add_get(HEALTH_PATH, healthz)
    return application


async def serve_http(
    app: AsyncApp, host: str, port: int, mount: Mount | None = None
) -> web.AppRunner:
    """Start serving; `runner.addresses` tells the bound port (port 0 picks a free one)."""
    runner = web.AppRunner(web_application(app, port, mount), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    return int(runner.addresses[0][1])
