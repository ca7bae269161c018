"""Start-up fails honestly: every misconfiguration gets one sentence naming it and exit 2, for
`run`, `exec` and `demo` alike, as a real process; a reader closing the pipe early gets no
BrokenPipeError."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from tests.conftest import REPO

TALLYBOT = [sys.executable, "-m", "tallybot"]
SETTINGS = (
    "TALLYBOT_DB",
    "TALLYBOT_LOG_LEVEL",
    "PORT",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "DISCORD_TOKEN",
    "DISCORD_API_URL",
    "TALLYBOT_SECRET_KEY",
)
ACTIONS = {
    "run": ("run",),
    "exec": ("exec", "/tally trackers"),
    "demo": ("demo",),
}
WAIT_SECONDS = 60
"""Only stops a broken run from hanging; never a speed assertion."""


def clean_env(**values: str) -> dict[str, str]:
    """Every setting set (empty unless given), so a developer's `.env` cannot leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update({name: "" for name in SETTINGS})
    env.update(values)
    return env


def tallybot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TALLYBOT, *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )


def assert_one_sentence(result: subprocess.CompletedProcess[str], status: int, *words: str) -> str:
    """Exit `status`, nothing but one `error:` line on stderr, naming `words`; no traceback."""
    assert result.returncode == status, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


@pytest.fixture
def not_a_database(tmp_path: Path) -> Path:
    notes = tmp_path / "notes.txt"
    notes.write_text("Meeting notes, not a database.\n" * 100)
    return notes


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_text_file_as_the_database(action: str, not_a_database: Path) -> None:
    before = not_a_database.read_bytes()
    result = tallybot(clean_env(TALLYBOT_DB=str(not_a_database)), *ACTIONS[action])
    line = assert_one_sentence(result, 2, str(not_a_database), "is not an SQLite database")
    assert "TALLYBOT_DB" in line
    assert not_a_database.read_bytes() == before  # nothing written into it


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_directory_as_the_database(action: str, tmp_path: Path) -> None:
    result = tallybot(clean_env(TALLYBOT_DB=str(tmp_path)), *ACTIONS[action])
    assert_one_sentence(result, 2, str(tmp_path), "is a directory", str(tmp_path / "tallybot.db"))


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_database_under_a_file(action: str, not_a_database: Path) -> None:
    db = not_a_database / "tally.db"
    result = tallybot(clean_env(TALLYBOT_DB=str(db)), *ACTIONS[action])
    assert_one_sentence(result, 2, str(db), f"{not_a_database} is a file, not a folder")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (never writable)")
def test_an_unwritable_database_path() -> None:
    """/proc refuses new files even to root (chmod would not stop root, who runs CI here)."""
    for action in ACTIONS.values():
        result = tallybot(clean_env(TALLYBOT_DB="/proc/tally.db"), *action)
        assert_one_sentence(result, 2, "/proc/tally.db", "can't be opened or created")


@pytest.mark.parametrize("action", list(ACTIONS))
def test_an_unknown_log_level(action: str, tmp_path: Path) -> None:
    env = clean_env(TALLYBOT_DB=str(tmp_path / "t.db"), TALLYBOT_LOG_LEVEL="LOUD")
    line = assert_one_sentence(tallybot(env, *ACTIONS[action]), 2, "TALLYBOT_LOG_LEVEL=LOUD")
    assert "DEBUG, INFO, WARNING" in line
    assert not (tmp_path / "t.db").exists()  # refused before anything was opened


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_port_that_is_not_a_number(action: str, tmp_path: Path) -> None:
    env = clean_env(TALLYBOT_DB=str(tmp_path / "t.db"), PORT="80a")
    assert_one_sentence(tallybot(env, *ACTIONS[action]), 2, "PORT=80a", "not a port number")


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")),
        ({"SLACK_APP_TOKEN": "xapp-1"}, ("SLACK_BOT_TOKEN",)),
        ({"SLACK_SIGNING_SECRET": "s3cr3t"}, ("SLACK_BOT_TOKEN",)),
        ({"SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s3cr3t"}, ("SLACK_BOT_TOKEN",)),
    ],
)
def test_half_configured_slack_never_falls_back_to_the_console(
    given: dict[str, str], missing: tuple[str, ...], tmp_path: Path
) -> None:
    env = clean_env(TALLYBOT_DB=str(tmp_path / "t.db"), **given)
    result = tallybot(env, "run")
    assert_one_sentence(result, 2, *missing)
    assert "tally>" not in result.stdout  # the console never started
    for secret in given.values():
        assert secret not in result.stderr


def test_settings_name_what_is_wrong() -> None:
    with pytest.raises(SettingsError, match="TALLYBOT_LOG_LEVEL=loud"):
        Settings.from_env({"TALLYBOT_LOG_LEVEL": "loud"})
    with pytest.raises(SettingsError, match="PORT=70000"):
        Settings.from_env({"PORT": "70000"})
    assert Settings.from_env({"TALLYBOT_LOG_LEVEL": "debug", "PORT": "8080"}).port == 8080
    both = Settings.from_env({"SLACK_BOT_TOKEN": "b", "SLACK_APP_TOKEN": "a"})
    assert both.slack_missing() is None and both.slack_enabled
    assert Settings.from_env({}).slack_missing() is None


# -- a reader that stops early -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("pipe") / "demo.db"
    result = tallybot(clean_env(TALLYBOT_DB=str(db)), "demo")
    assert result.returncode == 0, result.stderr
    return db


def test_exec_into_a_closed_pipe_prints_no_broken_pipe_error(demo_db: Path) -> None:
    """The reader is gone before a byte is written (a real pipe, its read end closed): the
    command still runs, stderr stays empty, exit 141 like any tool cut off by SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [*TALLYBOT, "exec", "/tally history limit=50"],
            cwd=REPO,
            env=clean_env(TALLYBOT_DB=str(demo_db)),
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=WAIT_SECONDS,
        )
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141


def test_exec_piped_into_head_prints_one_line_and_no_error(demo_db: Path) -> None:
    """`tallybot exec ... | head -1` exactly as a user types it, through a real shell (whether
    head has gone before the write is up to the scheduler: the test above forces it)."""
    command = " ".join(f"'{a}'" for a in TALLYBOT) + " exec --json '/tally history limit=50'"
    script = f"{command} | head -1"
    result = subprocess.run(
        ["sh", "-c", script],
        cwd=REPO,
        env=clean_env(TALLYBOT_DB=str(demo_db)),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "{"
    assert result.stderr == ""
