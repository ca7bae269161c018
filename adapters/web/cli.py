"""`tallybot web [--port N] [--host H]`: the public pages alone, read-only (run as many as you
like on one database file)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.settings import Settings


def register(subparsers: Any) -> None:
    web = subparsers.add_parser(
        "web", help="serve the public trackers' pages (read-only; default port: $PORT or 3000)"
    )
    web.add_argument("--port", type=int, help="port to listen on (0 picks a free one)")
    web.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    web.set_defaults(func=run_web)


def run_web(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.web.service import run_pages
    from bot.app import Core

    port = settings.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        print(f"error: --port {port} is not a port number.", file=sys.stderr)
        return 2
    core = Core.open(settings)
    try:
        asyncio.run(run_pages(core, args.host, port))
    finally:
        core.close()
    return 0
