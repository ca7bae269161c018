"""TALLYBOT_DISCORD_SHARDS and TALLYBOT_STOP_GRACE: what each accepts, and the one sentence
naming the setting and an example for what it does not."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_STOP_GRACE, DiscordShards, Settings, SettingsError


@pytest.mark.parametrize(
    ("value", "ids", "count"),
    [
        ("0-1/4", (0, 1), 4),
        ("2/4", (2,), 4),
        ("0,3/4", (0, 3), 4),
        ("0/1", (0,), 1),
        (" 3, 0-1 /4", (0, 1, 3), 4),
        ("1-2,2-3/4", (1, 2, 3), 4),
    ],
)
def test_shards_accepted(value: str, ids: tuple[int, ...], count: int) -> None:
    shards = Settings.from_env({"TALLYBOT_DISCORD_SHARDS": value}).discord_shards
    assert shards == DiscordShards(ids, count)


def test_no_shards_setting_means_one_unsharded_client() -> None:
    assert Settings.from_env({}).discord_shards is None
    assert Settings.from_env({"TALLYBOT_DISCORD_SHARDS": "  "}).discord_shards is None


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("4/4", "names shard 4, but shards are numbered 0 to 3"),
        ("0-5/4", "names shard 5, but shards are numbered 0 to 3"),
        ("0/0", "has a shard count below 1"),
        ("0-1", "is not IDS/COUNT"),
        ("/4", "is not IDS/COUNT"),
        ("0/four", "is not IDS/COUNT"),
        ("0/-1", "is not IDS/COUNT"),
        ("a/4", "has 'a', which is not a shard id or a range of them"),
        ("0,,1/4", "has '', which is not a shard id or a range of them"),
        ("-1/4", "has '-1', which is not a shard id or a range of them"),
        ("3-1/4", "has the range '3-1', which runs backwards"),
    ],
)
def test_bad_shards_are_refused_in_one_sentence(value: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"TALLYBOT_DISCORD_SHARDS": value})
    message = str(refused.value)
    assert message.startswith(f"TALLYBOT_DISCORD_SHARDS={value.strip()} {says}: ")
    assert "such as 0-1/4" in message


def test_stop_grace() -> None:
    assert Settings.from_env({}).stop_grace == DEFAULT_STOP_GRACE
    assert Settings.from_env({"TALLYBOT_STOP_GRACE": "2.5"}).stop_grace == 2.5
    for bad in ("0", "-1", "soon", "1e9"):
        with pytest.raises(SettingsError, match=f"TALLYBOT_STOP_GRACE={bad} is not a number"):
            Settings.from_env({"TALLYBOT_STOP_GRACE": bad})
