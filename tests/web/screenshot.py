"""Re-takes docs/page.png: the demo tracker's page at 1280 px in Debian's Chromium, driven by
Playwright as the browser tests drive it.

    .venv/bin/python -m tests.web.screenshot [docs/page.png]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import async_playwright

from adapters.web.app import Pages, pages_application
from bot.settings import Settings
from tests.conftest import Clock, open_demo_core
from tests.web.conftest import PUBLIC, run_ok
from tests.web.test_browser import ARGS, CHROMIUM, serve

WIDTH, HEIGHT = 1280, 1900
AS_OF = "2024-04-10"


async def shoot(target: Path) -> None:
    clock = Clock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        core = await open_demo_core(Settings(db_path=Path(folder) / "tally.db"), clock)
        await run_ok(core, f"tracker edit {PUBLIC} visibility=public")
        runner, url = await serve(pages_application(Pages(core.store, clock)))
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                page = await browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
                await page.goto(f"{url}/t/{PUBLIC}?as_of={AS_OF}")
                await page.wait_for_load_state("networkidle")
                await page.screenshot(path=str(target))
                await browser.close()
        finally:
            await runner.cleanup()
            core.close()


if __name__ == "__main__":
    asyncio.run(shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/page.png")))
