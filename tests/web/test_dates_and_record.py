"""A date in the future is refused on every route with a sentence; the CSV and the feed are the
whole record and say so when given as_of rather than ignoring it."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.web.conftest import PUBLIC


async def test_a_future_as_of_is_400_with_a_sentence(client: TestClient) -> None:
    for suffix in ("", ".json", "/embed"):
        response = await client.get(f"/t/{PUBLIC}{suffix}?as_of=9999-12-31")
        assert response.status == 400, suffix
        text = await response.text()
        assert "as_of=9999-12-31 is in the future: as_of is a calendar date up to today" in text


async def test_the_csv_and_the_feed_refuse_as_of(client: TestClient) -> None:
    for suffix, name in ((".csv", "CSV"), ("/feed.atom", "feed")):
        response = await client.get(f"/t/{PUBLIC}{suffix}?as_of=2024-03-06")
        assert response.status == 400
        assert f"The {name} is the whole record" in await response.text()
        assert (await client.get(f"/t/{PUBLIC}{suffix}")).status == 200
