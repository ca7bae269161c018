"""The pages in a real browser: Debian's Chromium driven by Playwright (never `playwright
install`, which downloads a browser). Without /usr/bin/chromium these tests are skipped and
the skip is listed in pytest's summary; `.ci/run` installs Chromium so CI always runs them."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.web.app import Pages, pages_application
from tests.web.conftest import HOSTILE_QUOTE, PRIVATE, PUBLIC

CHROMIUM = Path("/usr/bin/chromium")
try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev dependencies hold it
    async_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or async_playwright is None,
    reason="browser tests need Chromium at /usr/bin/chromium (apt-get install chromium) "
    "and playwright (pip install -e '.[dev]')",
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def site(pages: Pages) -> AsyncIterator[str]:
    runner, url = await serve(pages_application(pages))
    yield url
    await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert shutil.which(str(CHROMIUM))
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        await launched.close()


class Watched:
    """A page whose console errors, script errors, failed requests and dialogs are kept."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        page.on("dialog", lambda d: self.problems.append(f"dialog: {d.message}"))


async def open_page(browser: Browser, url: str, width: int = 1280) -> Watched:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    watched = Watched(page)
    response = await page.goto(url)
    assert response is not None and response.status == 200
    return watched


async def grid(page: Page) -> dict[str, str]:
    found: list[dict[str, Any]] = await page.eval_on_selector_all(
        ".cell",
        "cells => cells.map(c => ({code: c.dataset.code, stance: c.dataset.stance, "
        "text: c.innerText}))",
    )
    for cell in found:  # the stance is in the text too, not in colour alone
        word = "not declared" if cell["stance"] == "undeclared" else cell["stance"]
        assert word.replace("-", " ").split()[0] in cell["text"].replace("-", " "), cell
    return {c["code"]: c["stance"] for c in found}


async def test_the_page_loads_with_no_console_errors(browser: Browser, site: str) -> None:
    watched = await open_page(browser, f"{site}/t/{PUBLIC}")
    await watched.page.wait_for_load_state("networkidle")
    assert "28 of 32 support" in await watched.page.inner_text("#headline")
    assert watched.problems == []
    # the stylesheet applied (a grid), so CSP let it in
    display = await watched.page.eval_on_selector("#grid", "g => getComputedStyle(g).display")
    assert display == "grid"


@pytest.mark.parametrize("width", [390, 1280])
async def test_the_timeline_picture_loads_and_the_card_opens(
    browser: Browser, site: str, width: int
) -> None:
    watched = await open_page(browser, f"{site}/t/{PUBLIC}?as_of=2024-04-03", width)
    page = watched.page
    await page.wait_for_load_state("networkidle")
    image = page.locator("#timeline-img")
    size = await image.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight, i.width]")
    assert size[0] and size[1] == 1000 and size[2] == 520, size
    assert 0 < size[3] <= width  # scaled down to the screen, never wider
    assert "Mark Rutte" in (await image.get_attribute("alt") or "")
    steps = page.locator("#timeline .step")
    assert await steps.count() == 4 and not await steps.first.is_visible()
    await page.click(".steps-text summary")  # the list stays one click away
    assert await steps.first.is_visible()
    card = await page.request.get(f"{site}{await page.get_attribute('#card-link', 'href')}")
    assert card.status == 200 and card.headers["content-type"] == "image/png"
    assert watched.problems == []  # CSP let the image in (img-src 'self')


async def test_the_grid_has_one_cell_per_member_with_its_stance(
    browser: Browser, site: str
) -> None:
    watched = await open_page(browser, f"{site}/t/{PUBLIC}")
    cells = await grid(watched.page)
    data = await (await watched.page.request.get(f"{site}/t/{PUBLIC}.json")).json()
    expected = {m["code"]: m["stance"] or "undeclared" for m in data["members"]}
    assert len(cells) == 32
    assert cells == expected
    assert cells["HU"] == "oppose" and cells["RO"] == "support"
    rival = await watched.page.inner_text(".cell[data-code='RO']")
    assert "rival" in rival  # Romania backs Iohannis, not the leader


async def test_changing_the_date_changes_the_count(browser: Browser, site: str) -> None:
    watched = await open_page(browser, f"{site}/t/{PUBLIC}")
    page = watched.page
    assert await page.get_attribute("#count", "data-supporting") == "28"
    await page.fill("#as_of", "2024-03-06")
    async with page.expect_navigation():
        await page.click(".as-of button")
    assert page.url.endswith("as_of=2024-03-06")
    assert await page.get_attribute("#count", "data-supporting") == "4"
    assert "4 of 31" in await page.inner_text("#headline")
    assert await page.locator(".cell").count() == 31
    assert await page.input_value("#as_of") == "2024-03-06"
    assert watched.problems == []


@pytest.mark.parametrize("width", [390, 1280])
async def test_the_layout_holds_on_a_phone_and_a_desktop(
    browser: Browser, site: str, width: int
) -> None:
    for path in ("/", f"/t/{PUBLIC}", f"/t/{PUBLIC}?as_of=2024-04-03"):
        watched = await open_page(browser, f"{site}{path}", width)
        scroll = await watched.page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll <= width, (path, scroll)
        assert watched.problems == []
    if width == 390:
        cell = await watched.page.eval_on_selector(".cell", "c => c.getBoundingClientRect().width")
        assert 100 < cell < 390  # several cells a row, none wider than the screen


async def test_user_text_shows_as_text(browser: Browser, site: str) -> None:
    watched = await open_page(browser, f"{site}/t/{PUBLIC}")
    row = await watched.page.inner_text("#positions tr[data-code='TR']")
    assert HOSTILE_QUOTE in row  # shown, not run
    assert 'O\'Brien "the" <b>bold</b> & co' in row
    assert watched.problems == []  # no alert() dialog, no blocked inline script


async def test_the_embed_works_inside_an_iframe(browser: Browser, site: str) -> None:
    """A news site on another origin frames the embed; the full page refuses to be framed."""
    news = web.Application()

    async def article(request: web.Request) -> web.Response:
        return web.Response(
            text=(
                "<!doctype html><title>News</title><h1>Our story</h1>"
                f'<iframe id="embed" src="{site}/t/{PUBLIC}/embed" width="420" height="360" '
                'title="tally"></iframe>'
                f'<iframe id="page" src="{site}/t/{PUBLIC}" width="420" height="200" '
                'title="page"></iframe>'
            ),
            content_type="text/html",
        )

    news.router.add_get("/", article)
    runner, news_url = await serve(news)
    try:
        page = await browser.new_page(viewport={"width": 800, "height": 900})
        await page.goto(news_url.replace("127.0.0.1", "localhost"))  # another origin
        embed = page.frame_locator("#embed")
        await embed.locator(".cell").first.wait_for()
        assert await embed.locator(".cell").count() == 32
        assert "28 of 32" in await embed.locator("#headline").inner_text()
        link = embed.locator(".more a")
        assert await link.get_attribute("target") == "_blank"
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text))
        await page.reload()
        await page.frame_locator("#embed").locator(".cell").first.wait_for()
        # the full page in a frame is refused (frame-ancestors 'none'): no grid shows there
        assert await page.frame_locator("#page").locator(".cell").count() == 0
        assert any("frame-ancestors" in text for text in refused), refused
    finally:
        await runner.cleanup()


async def test_a_private_tracker_is_not_found_in_the_browser(browser: Browser, site: str) -> None:
    page = await browser.new_page()
    response = await page.goto(f"{site}/t/{PRIVATE}")
    assert response is not None and response.status == 404
    assert "Hidden" not in await page.content()
