"""bot.completion on its own (no Discord): what the console could offer on tab, too."""

from __future__ import annotations

from bot.app import Core
from bot.commands.catalog import COMMANDS
from bot.completion import completes, suggest
from bot.demo import DEMO_TRACKER
from tests.conftest import OPERATOR


def param(command_key: str, name: str):  # type: ignore[no-untyped-def]
    command = next(c for c in COMMANDS if c.key == command_key)
    found = command.param(name)
    assert found is not None
    return found


async def test_members_trackers_and_candidates(demo_core: Core) -> None:
    store = demo_core.store
    members = await suggest(store, param("position", "member"), actor=OPERATOR, text="lith")
    assert members[0].value == "LT" and "Lithuania" in members[0].label
    members = await suggest(store, param("position", "member"), actor=OPERATOR, text="britain")
    assert members[0].value == "GB"
    trackers = await suggest(store, param("tally", "tracker"), actor=OPERATOR, text="sg")
    assert [t.value for t in trackers] == [DEMO_TRACKER]
    candidates = await suggest(
        store, param("declare", "target"), actor=OPERATOR, text="iohan", tracker=DEMO_TRACKER
    )
    assert [c.value for c in candidates] == ["Klaus Iohannis"]


async def test_close_spellings_and_limits(demo_core: Core) -> None:
    store = demo_core.store
    members = await suggest(store, param("position", "member"), actor=OPERATOR, text="Hungry")
    assert members and members[0].value == "HU"
    assert (
        len(await suggest(store, param("position", "member"), actor=OPERATOR, text="", limit=5))
        == 5
    )
    rules = await suggest(store, param("tracker-new", "rule"), actor=OPERATOR, text="threshold=24")
    assert [r.value for r in rules] == ["threshold=24"]
    assert not completes(param("declare", "quote"))
    assert await suggest(store, param("declare", "quote"), actor=OPERATOR, text="x") == []
