"""`tallybot discord sync` and `invite` against the fake API: the JSON Discord would receive."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import discord
import pytest

from adapters.discord.commands import default_permissions
from bot.commands.catalog import COMMANDS
from bot.commands.spec import ParamKind
from tallybot.cli import main
from tests.fakes.discord_api import FakeDiscord

MANAGE_GUILD = 1 << 5
OPTION_TYPES = {ParamKind.INTEGER: 4, ParamKind.USER: 6}
SUBCOMMAND = 1
SUBCOMMAND_GROUP = 2


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake: FakeDiscord, tmp_path: Path) -> Path:
    monkeypatch.setenv("DISCORD_TOKEN", fake.token)
    monkeypatch.setenv("DISCORD_API_URL", fake.api_url)
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path / "tally.db"


def run_cli(*args: str, db: Path) -> int:
    return main(["--db", str(db), *args])


async def _in_thread(*args: str, db: Path) -> int:
    """The CLI runs its own event loop (asyncio.run); the fake serves from this one."""
    import asyncio

    return await asyncio.to_thread(run_cli, *args, db=db)


async def test_global_sync_puts_every_spec_command(
    fake: FakeDiscord, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _in_thread("discord", "sync", db=env) == 0
    assert not env.exists()  # the spec is all sync needs: no database opened, none created
    puts = fake.requests_to(f"/applications/{fake.application_id}/commands", "PUT")
    assert len(puts) == 1
    synced = {c["name"]: c for c in fake.commands["global"]}
    expected = {(c.path or ("tally",))[0] for c in COMMANDS}
    assert set(synced) == expected
    assert "Synced" in capsys.readouterr().out

    for command in COMMANDS:
        path = command.path or ("tally",)
        node = synced[path[0]]
        for depth, word in enumerate(path[1:], start=2):
            node = next(o for o in node["options"] if o["name"] == word)
            assert node["type"] == (SUBCOMMAND if depth == len(path) else SUBCOMMAND_GROUP)
        options = {o["name"]: o for o in node.get("options", [])}
        for param in command.params:
            sent = options[param.name]
            assert sent["required"] == param.required
            assert sent["description"] and len(sent["description"]) <= 100
            assert sent["type"] == OPTION_TYPES.get(param.kind, 3)
            if param.choices:
                assert [c["value"] for c in sent["choices"]] == list(param.choices)
            if param.kind is ParamKind.INTEGER and param.min_value is not None:
                assert sent["min_value"] == param.min_value
            if param.kind in (ParamKind.MEMBER, ParamKind.TRACKER, ParamKind.CANDIDATE):
                assert sent["autocomplete"] is True
        assert ("public" in options) == (not command.writes)
        if command.moderator_only and len(path) == 1:
            wanted = discord.Permissions(**default_permissions(command)).value
            assert int(node["default_member_permissions"]) == wanted
            assert node["contexts"] == [0]  # guild only
        if command.proposes:
            assert node["default_member_permissions"] is None  # anyone may suggest
            assert node["contexts"] == [0]

    assert int(synced["tracker"]["default_member_permissions"]) == MANAGE_GUILD
    assert synced["moderator"]["default_member_permissions"] is None  # `list` is for all
    assert synced["tally"]["default_member_permissions"] is None
    declare = {o["name"]: o for o in synced["declare"]["options"]}
    assert [c["value"] for c in declare["stance"]["choices"]][:2] == ["support", "lean-support"]
    history = {o["name"]: o for o in synced["history"]["options"]}
    assert (history["limit"]["min_value"], history["limit"]["max_value"]) == (1, 50)


async def test_guild_sync_is_for_development(fake: FakeDiscord, env: Path) -> None:
    assert await _in_thread("discord", "sync", "--guild", "900000000000000001", db=env) == 0
    path = f"/applications/{fake.application_id}/guilds/900000000000000001/commands"
    assert fake.requests_to(path, "PUT")
    assert "declare" in {c["name"] for c in fake.commands["900000000000000001"]}
    assert "global" not in fake.commands


async def test_sync_needs_a_token(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN")
    assert await _in_thread("discord", "sync", db=env) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


def _invite(url: str) -> dict[str, list[str]]:
    parsed = urlparse(url.strip())
    assert parsed.netloc == "discord.com" and parsed.path == "/oauth2/authorize"
    return parse_qs(parsed.query)


async def test_invite_asks_the_api_for_the_application_id(
    fake: FakeDiscord, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _in_thread("discord", "invite", db=env) == 0
    query = _invite(capsys.readouterr().out)
    assert query["client_id"] == [fake.application_id]
    assert query["scope"] == ["bot applications.commands"]
    permissions = discord.Permissions(int(query["permissions"][0]))
    assert permissions.view_channel and permissions.send_messages and permissions.embed_links
    assert permissions.read_message_history
    assert not permissions.administrator and not permissions.mention_everyone
    assert not permissions.manage_messages


async def test_invite_with_a_configured_application_id(
    fake: FakeDiscord,
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "123456789012345678")
    monkeypatch.delenv("DISCORD_TOKEN")
    assert await _in_thread("discord", "invite", db=env) == 0
    assert _invite(capsys.readouterr().out)["client_id"] == ["123456789012345678"]
    assert fake.requests == []
