"""Serving the pages: alone (`tallybot web`), or beside the chat adapters in `tallybot run`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping

from aiohttp import web

from adapters.web.app import Pages, pages_application
from adapters.web.health import mount_health
from bot.app import Core
from bot.errors import ServiceFailed
from bot.health import health_report

log = logging.getLogger(__name__)


def public_url(env: Mapping[str, str] | None = None) -> str | None:
    """TALLYBOT_PUBLIC_URL: the pages' address as readers see it (behind a proxy), for the
    feed's links; without it they follow the request's Host."""
    return (env if env is not None else os.environ).get("TALLYBOT_PUBLIC_URL", "").strip() or None


def pages_for(core: Core) -> Pages:
    return Pages(core.store, core.dispatcher.clock, base_url=public_url())


Mount = Callable[[web.Application], None]


async def serve_pages(
    core: Core, host: str, port: int, mount: Mount | None = None
) -> web.AppRunner:
    """Start serving the pages alone (plus what `mount` adds, such as `/healthz`);
    `runner.addresses` tells the port bound."""
    application = pages_application(pages_for(core))
    if mount is not None:
        mount(application)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ServiceFailed(
            f"PORT={port} can't be served on {host} ({exc.strerror or exc})"
        ) from None
    return runner


class PagesService:
    """The pages as one more service of `tallybot run` (when no chat adapter serves HTTP)."""

    name = "public pages"
    sender = None

    def __init__(self, runner: web.AppRunner) -> None:
        self.runner = runner
        self._stopped = asyncio.Event()

    async def wait(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        await self.runner.cleanup()
        self._stopped.set()


def mount_pages(core: Core) -> Mount:
    """Slack's HTTP mode: the pages on the same application, so on the same PORT."""
    return pages_for(core).add_routes


def pages_wanted(env: Mapping[str, str] | None = None) -> bool:
    """Without an HTTP chat adapter, `tallybot run` serves the pages on PORT when PORT is set
    (as hosting platforms set it); without PORT, `tallybot web` serves them."""
    return bool((os.environ if env is None else env).get("PORT", "").strip())


async def start_pages(
    core: Core, host: str = "0.0.0.0", mount: Mount | None = None
) -> PagesService:
    runner = await serve_pages(core, host, core.settings.port, mount)
    log.info("public pages on %s:%s", host, runner.addresses[0][1])
    return PagesService(runner)


def mount_all(*mounts: Mount) -> Mount:
    """One mount adding every route the given ones add, in order."""

    def mount(application: web.Application) -> None:
        for each in mounts:
            each(application)

    return mount


async def run_pages(core: Core, host: str, port: int) -> None:
    """`tallybot web`: serve until SIGINT/SIGTERM, with `/healthz` reporting the database."""
    runner = await serve_pages(
        core, host, port, mount_health(lambda: health_report(core.store, []))
    )
    address = runner.addresses[0]
    print(f"Public pages on http://{address[0]}:{address[1]}/ (Ctrl-C stops)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
