"""`tallybot web [--port N] [--host H]`: the public pages alone, read-only (run as many as you
like on one database file)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import Settings


def web_command(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.web.service import run_pages
    from tallybot.wiring import open_core

    port = settings.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        print(f"error: --port {port} is not a port number.", file=sys.stderr)
        return 2
    core = open_core(settings)
    try:
        asyncio.run(run_pages(core, args.host, port))
    finally:
        core.close()
    return 0
