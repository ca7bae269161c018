"""The card and the timeline as web routes: real PNGs drawn by the picture process, hidden like
every tracker route, with bad dates, conditional requests and a bounded cache."""

from __future__ import annotations

import re

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from bot.app import Core
from bot.pictures.timeline import HEIGHT_IN, WIDTH_IN
from tests.pictures.conftest import PNG_SIGNATURE, hex_at, pixels
from tests.web.conftest import PUBLIC, run_ok

PICTURE_ROUTES = ("/card.png", "/timeline.png")
IMG = re.compile(r'<img id="timeline-img" src="([^"]+)" width="\d+" height="\d+" alt="([^"]+)">')


async def png_of(client: TestClient, path: str) -> np.ndarray:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "image/png"  # no charset on a picture
    body = await response.read()
    assert body.startswith(PNG_SIGNATURE)
    return pixels(body)


def assert_drawn(picture: np.ndarray) -> None:
    """Not blank: many pixels are neither white nor one flat colour."""
    height, width, _ = picture.shape
    assert width > 300 and height > 200
    not_white = (picture < 245).any(axis=2).mean()
    assert 0.02 < not_white < 0.9, not_white
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 20


@pytest.mark.parametrize("route", PICTURE_ROUTES)
async def test_both_pictures_are_real_pngs(client: TestClient, route: str) -> None:
    picture = await png_of(client, f"/t/{PUBLIC}{route}")
    assert_drawn(picture)


async def test_the_timeline_is_the_timeline_of_that_day(client: TestClient) -> None:
    picture = await png_of(client, f"/t/{PUBLIC}/timeline.png?as_of=2024-03-06")
    assert picture.shape[:2] == (round(HEIGHT_IN * 100), round(WIDTH_IN * 100))
    later = await png_of(client, f"/t/{PUBLIC}/timeline.png?as_of=2024-04-10")
    assert not np.array_equal(picture, later)


async def test_the_card_shows_the_day_asked_for(client: TestClient) -> None:
    early = await png_of(client, f"/t/{PUBLIC}/card.png?as_of=2024-03-06")
    today = await png_of(client, f"/t/{PUBLIC}/card.png")
    assert early.shape != today.shape or not np.array_equal(early, today)
    assert hex_at(today, 0, 0) == "#FFFFFF"


@pytest.mark.parametrize("route", PICTURE_ROUTES)
async def test_a_date_before_the_opening_has_no_picture(client: TestClient, route: str) -> None:
    """404, a bad date and 304 are tested with every route in test_routes.py."""
    early = await client.get(f"/t/{PUBLIC}{route}?as_of=2020-01-01")
    assert early.status == 400
    assert "there is no tally on 2020-01-01" in await early.text()


@pytest.mark.parametrize("route", PICTURE_ROUTES)
async def test_a_change_redraws_the_picture(web_core: Core, client: TestClient, route: str) -> None:
    path = f"/t/{PUBLIC}{route}"
    first = await client.get(path)
    etag = first.headers["ETag"]
    assert (await client.get(path, headers={"If-None-Match": etag})).status == 304
    await run_ok(web_core, f"declare HU support date=2024-04-09 tracker={PUBLIC}")
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert (await changed.read()) != (await first.read())


async def test_the_page_shows_the_timeline_picture_and_links_the_card(client: TestClient) -> None:
    html = await (await client.get(f"/t/{PUBLIC}?as_of=2024-04-03")).text()
    found = IMG.search(html)
    assert found, "no timeline picture on the page"
    src, alt = found.groups()
    assert src == f"/t/local/{PUBLIC}/timeline.png?as_of=2024-04-03"
    assert alt.startswith("Step chart of support for Mark Rutte and each other candidate from ")
    assert "to 2024-04-03 (4 changes)" in alt
    assert "As of 2024-04-03: Mark Rutte: 28 of 32 support · needs 4 more" in alt
    assert alt.endswith("Every step is listed below.")
    assert f'href="/t/local/{PUBLIC}/card.png?as_of=2024-04-03"' in html
    assert '<details class="steps-text">' in html and "2024-04-02</time>" in html
    assert (await client.get(src)).status == 200
