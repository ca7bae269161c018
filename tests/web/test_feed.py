"""The Atom feed parsed back as a feed reader would: RFC 4287's required elements, one entry
per declaration, withdrawal and milestone, newest first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from aiohttp.test_utils import TestClient

from bot.app import Core
from tests.web.conftest import HOSTILE_QUOTE, PUBLIC, run_ok

A = "{http://www.w3.org/2005/Atom}"


async def feed(client: TestClient) -> ET.Element:
    response = await client.get(f"/t/{PUBLIC}/feed.atom")
    assert response.status == 200
    assert response.content_type == "application/atom+xml"
    body = await response.read()
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(body)


def moment(text: str) -> datetime:
    assert text.endswith("Z"), text  # RFC 3339 with a zone
    return datetime.fromisoformat(text)


async def test_the_feed_is_valid_atom(client: TestClient) -> None:
    root = await feed(client)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{name}")) == 1, name  # exactly one each (RFC 4287 4.1.1)
    assert root.findtext(f"{A}id", "").endswith(f"/t/local/{PUBLIC}")
    assert root.findtext(f"{A}author/{A}name") == "tallybot"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links["self"].endswith(f"/t/local/{PUBLIC}/feed.atom")
    assert links["alternate"].endswith(f"/t/local/{PUBLIC}")
    moment(root.findtext(f"{A}updated", ""))
    entries = root.findall(f"{A}entry")
    assert entries
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        assert entry.findtext(f"{A}title")
        moment(entry.findtext(f"{A}updated", ""))
        assert entry.find(f"{A}link[@rel='alternate']") is not None
        assert entry.findtext(f"{A}summary") is not None  # no content: a summary is required


async def test_one_entry_per_declaration_withdrawal_and_milestone(client: TestClient) -> None:
    entries = (await feed(client)).findall(f"{A}entry")
    titles = [e.findtext(f"{A}title", "") for e in entries]
    declarations = [e for e in entries if "#d" in e.findtext(f"{A}id", "")]
    assert len(declarations) == 31  # the demo's 30 and TR's
    assert titles.count("Klaus Iohannis withdrew") == 1
    milestones = [t for t in titles if t.startswith("Milestone: ")]
    assert "Milestone: Blocked by Hungary" in milestones
    assert "Milestone: Members 31 → 32" in milestones  # Sweden joined on 2024-03-07
    assert "Hungary opposes Mark Rutte" in titles
    tr = next(e for e in entries if e.findtext(f"{A}title") == "Türkiye is undecided")
    assert HOSTILE_QUOTE in tr.findtext(f"{A}summary", "")  # text, escaped by the XML writer


async def test_entries_are_newest_first(client: TestClient) -> None:
    entries = (await feed(client)).findall(f"{A}entry")
    titles = [e.findtext(f"{A}title", "") for e in entries]
    assert titles[0] == "Klaus Iohannis withdrew"  # 2024-04-05, the newest date
    assert titles[-1].endswith("backs Mark Rutte")  # 2024-02-22, the opening day
    positions = {t: i for i, t in enumerate(titles)}
    assert positions["Türkiye is undecided"] < positions["Hungary opposes Mark Rutte"]


async def test_a_retraction_shows_in_the_feed(web_core: Core, client: TestClient) -> None:
    before = (await feed(client)).findall(f"{A}entry")
    hungary = next(e for e in before if e.findtext(f"{A}title") == "Hungary opposes Mark Rutte")
    number = hungary.findtext(f"{A}id", "").rsplit("#d", 1)[1]
    await run_ok(web_core, f'retract #{number} reason="misreported"')
    titles = [e.findtext(f"{A}title", "") for e in (await feed(client)).findall(f"{A}entry")]
    assert "Retracted: Hungary opposes Mark Rutte (misreported)" in titles
    assert "Milestone: Blocked by Hungary" not in titles  # the replay leaves it out now
