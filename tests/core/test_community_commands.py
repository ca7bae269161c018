"""/tally community: showing, naming, linking (invite, join) and leaving, across a Slack
workspace and a Discord server, and `tallybot exec --community`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app import Core
from bot.commands.context import Actor
from bot.replies import Reply
from tests.conftest import Clock
from tests.core.test_cli import tallybot
from tests.core.test_isolation import row_counts

A = Actor("slack", "TA", "UA", "ann", platform_moderator=True, channel="CA", channel_manager=True)
B = Actor(
    "discord", "900", "77", "bea", platform_moderator=True, channel="55", channel_manager=True
)
NEW = '/tally tracker new {} "{}" kind=approval rule=majority body=eu opened=2026-01-01'


async def _ok(core: Core, text: str, actor: Actor) -> Reply:
    reply = await core.dispatcher.run_text(text, actor)
    assert reply.ok, (text, reply.title)
    return reply


async def test_a_new_workspace_has_no_community_until_it_writes(core: Core) -> None:
    assert (await _ok(core, "/tally community", A)).data["community"] is None
    await _ok(core, NEW.format("mine", "Mine"), A)
    shown = await _ok(core, "/tally community", A)
    assert shown.data == {
        "community": "slack-ta",
        "members": ["slack:TA"],
        "moderators": [],
        "trackers": ["mine"],
    }


async def test_naming_changes_how_others_follow(core: Core) -> None:
    await _ok(core, NEW.format("pub", "Public one") + " visibility=public", A)
    await _ok(core, "/tally community name nato-desk", A)
    assert "Public one" in (await _ok(core, "/tally nato-desk/pub", B)).title
    await _ok(core, NEW.format("other", "B's"), B)
    taken = await core.dispatcher.run_text("/tally community name nato-desk", B)
    assert not taken.ok and "taken" in taken.title


async def test_invite_join_shares_trackers_and_the_code_works_once(
    core: Core, clock: Clock
) -> None:
    await _ok(core, NEW.format("mine", "A's"), A)
    await _ok(core, NEW.format("theirs", "B's"), B)
    code = (await _ok(core, "/tally community invite", A)).data["code"]
    joined = await _ok(core, f"/tally community join {code}", B)
    assert joined.data == {"community": "slack-ta", "brought": ["theirs"]}
    shown = await _ok(core, "/tally community", B)
    assert shown.data["members"] == ["discord:900", "slack:TA"]
    assert shown.data["trackers"] == ["mine", "theirs"]
    assert "B's" in (await _ok(core, "/tally theirs", A)).title  # came along
    await _ok(core, "/tally declare FR support tracker=mine date=2026-02-01", B)  # shared
    again = await core.dispatcher.run_text(f"/tally community join {code}", B)
    assert not again.ok and "unknown, used or expired" in again.title


async def test_an_expired_code_or_a_clashing_slug_moves_nothing(
    core: Core, clock: Clock, db_path: Path
) -> None:
    await _ok(core, NEW.format("same", "A's"), A)
    await _ok(core, NEW.format("same", "B's"), B)
    code = (await _ok(core, "/tally community invite", A)).data["code"]
    before = row_counts(db_path)
    clash = await core.dispatcher.run_text(f"/tally community join {code}", B)
    assert not clash.ok and "already has trackers named same" in clash.title
    assert row_counts(db_path) == before
    clock.now += timedelta(hours=24, seconds=1)
    expired = await core.dispatcher.run_text(f"/tally community join {code}", B)
    assert not expired.ok and "expired" in expired.title
    assert row_counts(db_path) == before


async def test_only_administrators_join_or_leave(core: Core) -> None:
    await _ok(core, "/tally moderator add U5", B)
    code = (await _ok(core, "/tally community invite", A)).data["code"]
    mod = Actor("discord", "900", "U5", "mod", channel="55")
    refused = await core.dispatcher.run_text(f"/tally community join {code}", mod)
    assert not refused.ok and "administrator" in refused.title


async def test_leaving_keeps_the_trackers_with_the_community(core: Core) -> None:
    await _ok(core, NEW.format("mine", "A's"), A)
    code = (await _ok(core, "/tally community invite", A)).data["code"]
    await _ok(core, f"/tally community join {code}", B)
    await _ok(core, "/tally subscribe mine", B)
    left = await _ok(core, "/tally community leave", B)
    # Its first community (emptied when it joined) keeps its name: nothing is deleted.
    assert left.data == {"community": "discord-900-2", "left": "slack-ta"}
    gone = await core.dispatcher.run_text("/tally mine", B)
    assert not gone.ok and "No tracker 'mine'" in gone.title
    assert (await _ok(core, "/tally mine", A)).ok
    subs = await _ok(core, "/tally subscriptions", B)
    assert "mine" not in str(subs.data)  # no longer follows a private tracker it left
    alone = await core.dispatcher.run_text("/tally community leave", A)
    assert not alone.ok and "only one" in alone.title


def run_cli(db: Path, *args: str) -> tuple[int, str]:
    done = tallybot(*args, db=db)
    return done.returncode, done.stdout + done.stderr


def test_exec_acts_in_local_or_the_named_community(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert run_cli(db, "exec", NEW.format("homely", "Local"))[0] == 0
    assert run_cli(db, "exec", "--community", "desk", NEW.format("desky", "Desk"))[0] == 0
    code, out = run_cli(db, "exec", "/tally trackers")
    assert code == 0 and "homely" in out and "desky" not in out
    code, out = run_cli(db, "exec", "--community", "desk", "/tally trackers")
    assert code == 0 and "desky" in out and "homely" not in out
    code, out = run_cli(db, "exec", "--community", "nowhere", "/tally trackers")
    assert code == 1 and "No community 'nowhere'" in out
