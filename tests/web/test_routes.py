"""The public pages over HTTP: every route, what stays hidden, bad dates, conditional requests,
security headers and escaping of what moderators typed."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.app import PICTURES, Pages, pages_application
from bot.app import Core
from bot.settings import Settings
from tallybot.wiring import open_core
from tests.conftest import REPO, Clock, isolated_env
from tests.web.conftest import HOSTILE_QUOTE, HOSTILE_SPEAKER, PRIVATE, PUBLIC, run_ok

ROUTES = ("", ".json", ".csv", "/feed.atom", "/embed", "/card.png", "/timeline.png")
ORIGIN = re.compile(r"http://127\.0\.0\.1:\d+")
CELL = re.compile(r'<li class="cell[^"]*" data-stance="([a-z-]+)" data-code="([A-Z]+)"')


def cells(html: str) -> dict[str, str]:
    return {code: stance for stance, code in CELL.findall(html)}


async def test_front_page_lists_public_trackers_only(client: TestClient) -> None:
    response = await client.get("/")
    html = await response.text()
    assert response.status == 200
    assert f'href="/t/local/{PUBLIC}"' in html  # each tracker's own address
    assert "NATO Secretary General 2024" in html
    assert PRIVATE not in html and "Hidden" not in html


async def test_a_tracker_is_served_at_its_community_address_and_its_bare_slug(
    client: TestClient,
) -> None:
    own = await client.get(f"/t/local/{PUBLIC}")
    bare = await client.get(f"/t/{PUBLIC}")
    assert own.status == bare.status == 200
    assert f'action="/t/local/{PUBLIC}"' in await own.text()
    data = await client.get(f"/t/local/{PUBLIC}.json")
    assert data.status == 200 and (await data.json())["tracker"] == PUBLIC
    assert (await client.get(f"/t/nobody/{PUBLIC}")).status == 404
    assert (await client.get(f"/t/local/{PRIVATE}")).status == 404


async def test_front_page_says_so_when_nothing_is_public(
    web_core: Core, client: TestClient
) -> None:
    await run_ok(web_core, f"tracker edit {PUBLIC} visibility=private")
    html = await (await client.get("/")).text()
    assert "No public trackers yet" in html
    assert PUBLIC not in html


async def test_tracker_page_shows_headline_grid_rule_table_and_history(client: TestClient) -> None:
    response = await client.get(f"/t/{PUBLIC}")
    html = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    assert 'id="headline">Mark Rutte: 28 of 32 support · needs 4 more · blocked: Hungary' in html
    grid = cells(html)
    assert len(grid) == 32
    assert grid["HU"] == "oppose" and grid["LT"] == "support" and grid["TR"] == "undecided"
    assert grid["SK"] == "undeclared"
    assert "Unanimity: all 32 must agree" in html
    assert 'id="positions"' in html and "Foreign Minister Peter Szijjarto" in html
    assert 'href="https://telex.hu/english/2024/03/06/' in html
    assert 'rel="nofollow noopener"' in html
    assert "Klaus Iohannis withdrew" in html  # history lists the tracker's events
    assert 'type="date" id="as_of" name="as_of"' in html
    assert "Blocked by Hungary" in html  # a milestone on the timeline


async def test_as_of_reads_the_tally_of_that_day(client: TestClient) -> None:
    html = await (await client.get(f"/t/{PUBLIC}?as_of=2024-03-06")).text()
    assert "Mark Rutte: 4 of 31 support" in html
    assert 'value="2024-03-06"' in html
    assert len(cells(html)) == 31  # Sweden joined on 2024-03-07


async def test_an_empty_date_field_means_today(client: TestClient) -> None:
    response = await client.get(f"/t/{PUBLIC}?as_of=")
    assert response.status == 200
    assert "28 of 32" in await response.text()


@pytest.mark.parametrize("value", ["x", "2024-13-01", "20240301", "2024-3-1", "<script>"])
async def test_a_bad_as_of_is_400_with_a_sentence(client: TestClient, value: str) -> None:
    for suffix in ROUTES:
        response = await client.get(f"/t/{PUBLIC}{suffix}", params={"as_of": value})
        text = await response.text()
        assert response.status == 400
        assert "is not a date: give it as YYYY-MM-DD." in text
        assert response.content_type == "text/plain"


async def test_a_date_before_the_opening_is_400(client: TestClient) -> None:
    response = await client.get(f"/t/{PUBLIC}?as_of=2020-01-01")
    assert response.status == 400
    assert "opened on 2024-02-22: there is no tally on 2020-01-01" in await response.text()


@pytest.mark.parametrize("suffix", ROUTES)
async def test_private_and_unknown_trackers_are_404_on_every_route(
    client: TestClient, suffix: str
) -> None:
    for slug in (PRIVATE, "no-such-tracker"):
        response = await client.get(f"/t/{slug}{suffix}")
        text = await response.text()
        assert response.status == 404, (slug, suffix)
        assert text == f"No public tracker '{slug}'.\n"  # private reads exactly as unknown
        assert "Hidden" not in text


async def test_a_tracker_made_private_disappears_at_once(
    web_core: Core, client: TestClient
) -> None:
    assert (await client.get(f"/t/{PUBLIC}")).status == 200
    await run_ok(web_core, f"tracker edit {PUBLIC} visibility=private")
    for suffix in ROUTES:
        assert (await client.get(f"/t/{PUBLIC}{suffix}")).status == 404


async def test_json_matches_tallybot_exec_json(web_core: Core, client: TestClient) -> None:
    response = await client.get(f"/t/{PUBLIC}.json?as_of=2024-04-10")
    served = await response.json()
    assert response.content_type == "application/json"
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "tallybot",
            "exec",
            "--json",
            f"/tally {PUBLIC} as_of=2024-04-10",
        ],
        capture_output=True,
        text=True,
        env=isolated_env(web_core.settings.db_path),
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert served == json.loads(result.stdout)
    assert len(served["members"]) == 32
    assert served["by_stance"]["oppose"] == ["HU"]


async def test_csv_is_the_export(client: TestClient) -> None:
    response = await client.get(f"/t/{PUBLIC}.csv")
    body = await response.read()
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert body.startswith("\ufeffid,date,member code".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1 + 30 + 1  # the header, the demo's declarations, TR's
    assert [r[7] for r in rows if r[2] == "TR"] == [HOSTILE_QUOTE]


async def test_csp_forbids_script_and_framing_except_the_embed(client: TestClient) -> None:
    for suffix in ("", ".json", ".csv", "/feed.atom", "/card.png", "/timeline.png"):
        response = await client.get(f"/t/{PUBLIC}{suffix}")
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'none'" in policy and "default-src 'none'" in policy
        assert "img-src 'self'" in policy  # the page's own pictures, nothing from elsewhere
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Frame-Options"] == "DENY"
    embed = await client.get(f"/t/{PUBLIC}/embed")
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "script-src 'none'" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    for path in ("/", f"/t/{PUBLIC}", f"/t/{PUBLIC}/embed"):
        html = await (await client.get(path)).text()
        assert "<script" not in html.lower()
        assert " style=" not in html  # 'unsafe-inline' is not allowed for styles either
    missing = await client.get(f"/t/{PRIVATE}")
    assert "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]


async def test_favicon_and_stylesheet_are_served(client: TestClient) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status == 200 and (await icon.read()).startswith(b"<svg")
    css = await client.get("/static/style.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert "grid-template-columns" in await css.text()


async def test_what_moderators_typed_is_shown_as_text(client: TestClient) -> None:
    for path in (f"/t/{PUBLIC}", f"/t/{PUBLIC}?as_of=2024-04-03"):
        html = await (await client.get(path)).text()
        assert HOSTILE_QUOTE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>bold</b>" not in html
        assert "O&#39;Brien &#34;the&#34; &lt;b&gt;bold&lt;/b&gt; &amp; co" in html
        assert 'href="https://example.org/a?b=1&amp;c=2"' in html
    assert HOSTILE_SPEAKER  # the speaker as typed, for the reader of this test


async def test_a_tracker_title_with_markup_is_escaped(web_core: Core, client: TestClient) -> None:
    await run_ok(web_core, f'tracker edit {PUBLIC} title="Rutte <img src=x> \\"SG\\""')
    for path in ("/", f"/t/{PUBLIC}", f"/t/{PUBLIC}/embed"):
        html = await (await client.get(path)).text()
        assert "<img src=x>" not in html
        assert "Rutte &lt;img src=x&gt; &#34;SG&#34;" in html


async def test_unchanged_pages_answer_304(client: TestClient) -> None:
    for suffix in ROUTES:
        first = await client.get(f"/t/{PUBLIC}{suffix}")
        etag = first.headers["ETag"]
        assert first.headers["Last-Modified"].endswith(" GMT")
        again = await client.get(f"/t/{PUBLIC}{suffix}", headers={"If-None-Match": etag})
        assert again.status == 304, suffix
        assert again.headers["ETag"] == etag
        assert await again.read() == b""
        since = await client.get(
            f"/t/{PUBLIC}{suffix}", headers={"If-Modified-Since": first.headers["Last-Modified"]}
        )
        assert since.status == 304, suffix
    other = await client.get(f"/t/{PUBLIC}", headers={"If-None-Match": '"something-else"'})
    assert other.status == 200


async def test_a_change_changes_the_etag_and_the_page(web_core: Core, client: TestClient) -> None:
    first = await client.get(f"/t/{PUBLIC}")
    etag = first.headers["ETag"]
    await run_ok(web_core, f"declare SK support rutte date=2024-04-04 tracker={PUBLIC}")
    again = await client.get(f"/t/{PUBLIC}", headers={"If-None-Match": etag})
    assert again.status == 200
    assert again.headers["ETag"] != etag
    assert "Mark Rutte: 29 of 32 support" in await again.text()
    assert cells(await again.text())["SK"] == "support"


async def test_a_change_by_another_process_is_seen(
    web_core: Core, client: TestClient, clock: Clock
) -> None:
    """Another connection's commit (a second bot, `tallybot exec`) invalidates the cache."""
    before = await (await client.get(f"/t/{PUBLIC}.json")).json()
    other = open_core(Settings(db_path=web_core.settings.db_path), clock)
    try:
        await run_ok(other, f"declare SK oppose rutte date=2024-04-04 tracker={PUBLIC}")
    finally:
        other.close()
    after = await (await client.get(f"/t/{PUBLIC}.json")).json()
    assert "SK" not in before["by_stance"]["oppose"]
    assert after["by_stance"]["oppose"] == ["HU", "SK"]


async def test_without_a_cache_every_request_renders(web_core: Core, clock: Clock) -> None:
    pages = Pages(web_core.store, clock, cache_size=0)
    async with TestClient(TestServer(pages_application(pages))) as client:
        first = await (await client.get(f"/t/{PUBLIC}")).text()
        second = await (await client.get(f"/t/{PUBLIC}")).text()
    assert first == second and len(pages.cache) == 0


async def test_every_date_reads_the_same_with_or_without_the_caches(
    web_core: Core, client: TestClient, clock: Clock
) -> None:
    """The cached record serves every date of the picker: each page equals a cold rendering."""
    cold = Pages(web_core.store, clock, cache_size=0)
    days = ("", "2024-04-10", "2024-03-06", "2024-02-22", "2024-04-03", "2024-03-07")
    async with TestClient(TestServer(pages_application(cold))) as fresh:
        for day in days:
            for suffix in ("", "/feed.atom"):
                path = f"/t/{PUBLIC}{suffix}?as_of={day}"
                warm = await (await client.get(path)).text()
                again = await (await fresh.get(path)).text()
                assert ORIGIN.sub("", warm) == ORIGIN.sub("", again), path
    early = await (await client.get(f"/t/{PUBLIC}?as_of=2024-03-06")).text()
    assert "2024-04-02</time>" not in early and "Blocked by Hungary" in early


async def test_the_cache_is_bounded(web_core: Core, clock: Clock) -> None:
    pages = Pages(web_core.store, clock, cache_size=3)
    async with TestClient(TestServer(pages_application(pages))) as client:
        for day in range(1, 10):
            response = await client.get(f"/t/{PUBLIC}?as_of=2024-04-0{day}")
            assert response.status == 200
        assert len(pages.cache) == 3 and len(pages.pictures) == 0
        for day in range(1, 6):
            response = await client.get(f"/t/{PUBLIC}/card.png?as_of=2024-04-0{day}")
            assert response.status == 200
    assert len(pages.cache) == 3 and len(pages.pictures) == 3  # pictures kept apart
    assert Pages(web_core.store, clock).pictures.size == PICTURES


async def test_tallybot_web_serves_the_pages_until_stopped(web_core: Core) -> None:
    """`tallybot web --port 0` in a real process: it prints its address, serves, stops on
    SIGTERM with status 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tallybot",
        "web",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        env=isolated_env(web_core.settings.db_path),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        port = int(re.search(r":(\d+)/", line).group(1))  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/t/{PUBLIC}") as response:
                assert response.status == 200
                assert "Mark Rutte" in await response.text()
            async with session.get(f"http://127.0.0.1:{port}/t/{PRIVATE}") as response:
                assert response.status == 404
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), 30)
    assert status == 0


def test_tallybot_web_refuses_a_bad_port(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tallybot", "web", "--port", "70000"],
        capture_output=True,
        text=True,
        env=isolated_env(tmp_path / "t.db"),
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--port 70000 is not a port number" in result.stderr
    assert os.path.exists(tmp_path / "t.db") is False  # refused before opening anything


async def test_front_page_puts_open_trackers_first_and_leaves_out_the_archive(
    web_core: Core, client: TestClient
) -> None:
    for text in (
        'tracker new closed-2025 "Closed race" kind=approval rule=unanimity opened=2025-01-01 '
        "visibility=public",
        'tracker close closed-2025 outcome="Settled" date=2025-02-01',
        'tracker new old-2023 "Old race" kind=approval rule=unanimity opened=2023-01-01 '
        "visibility=public",
        'tracker new shelved-2022 "Shelved race" kind=approval rule=unanimity '
        "opened=2022-01-01 visibility=public",
        "tracker archive shelved-2022",
    ):
        await run_ok(web_core, text)
    html = await (await client.get("/")).text()
    listed = re.findall(r'data-slug="([a-z0-9-]+)"', html)
    assert listed == [PUBLIC, "old-2023", "closed-2025"]  # open, newest first; then closed
    assert (await client.get("/t/shelved-2022")).status == 200  # archived: still readable
