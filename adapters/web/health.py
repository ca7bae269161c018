"""`GET /healthz` on whichever application serves PORT (Slack's HTTP mode or the pages): the
report as JSON, 200 when everything is up, 503 when the database or a platform is down or the
bot is draining (so a load balancer stops sending it work)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.health import HealthReport

HEALTH_PATH = "/healthz"

Reporter = Callable[[], Awaitable[HealthReport]]


def mount_health(report: Reporter) -> Callable[[web.Application], None]:
    """Adds `/healthz` answering `report()` to an application."""

    async def healthz(request: web.Request) -> web.Response:
        result = await report()
        return web.json_response(
            result.as_json(),
            status=200 if result.ok else 503,
            headers={"Cache-Control": "no-store"},
        )

    def mount(application: web.Application) -> None:
        application.router.add_get(HEALTH_PATH, healthz)

    return mount
