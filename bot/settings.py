"""Settings from the environment (and `.env`). Secrets are read here and never logged."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting that cannot work, named in one sentence; the CLI prints it and exits 2."""


def _log_level(value: str | None) -> str:
    level = (value or "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(
            f"TALLYBOT_LOG_LEVEL={value} is not a log level: use {', '.join(LOG_LEVELS)}."
        )
    return level


def _port(value: str | None) -> int:
    if value is None:
        return 3000
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise SettingsError(f"PORT={value} is not a port number: use a whole number such as 3000.")
    return port


def _public_url(value: str | None) -> str | None:
    """Where the public pages are served: links in replies point under it."""
    if value is None:
        return None
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) < 1:
        raise SettingsError(
            f"TALLYBOT_PUBLIC_URL={value} is not a web address: use one such as "
            "https://tally.example.org."
        )
    return value.rstrip("/")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("tallybot.db")
    log_level: str = "INFO"
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_moderators: tuple[str, ...] = ()
    port: int = 3000
    discord_token: str | None = field(default=None, repr=False)
    discord_api_url: str | None = None
    """None: discord.py's own defaults (REST v10 and its built-in gateway)."""
    discord_mod_role: str | None = None
    discord_application_id: str | None = None
    """For `tallybot discord invite` without a token; otherwise asked of Discord's API."""
    public_url: str | None = None
    """TALLYBOT_PUBLIC_URL: replies about a public tracker link to its page under it."""
    shared_community: str | None = None
    """TALLYBOT_SHARED_COMMUNITY: every new workspace and server joins this community instead
    of getting its own (a deployment run for one community; never for a public bot)."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            db_path=Path(get("TALLYBOT_DB") or "tallybot.db"),
            log_level=_log_level(get("TALLYBOT_LOG_LEVEL")),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_api_url=get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            slack_moderators=_split(get("TALLYBOT_SLACK_MODERATORS")),
            port=_port(get("PORT")),
            discord_token=get("DISCORD_TOKEN"),
            discord_api_url=get("DISCORD_API_URL"),
            discord_mod_role=get("TALLYBOT_DISCORD_MOD_ROLE"),
            discord_application_id=get("DISCORD_APPLICATION_ID"),
            public_url=_public_url(get("TALLYBOT_PUBLIC_URL")),
            shared_community=(get("TALLYBOT_SHARED_COMMUNITY") or "").lower() or None,
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret))

    def slack_missing(self) -> str | None:
        """What a half-configured Slack lacks, or None (all set, or none of it).

        Without this a bot token alone would silently start the console instead of Slack.
        """
        if self.slack_enabled:
            return None
        if self.slack_bot_token:
            return (
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                "SLACK_SIGNING_SECRET (HTTP mode) is: set one, or unset SLACK_BOT_TOKEN."
            )
        given = [
            name
            for name, value in (
                ("SLACK_APP_TOKEN", self.slack_app_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if value
        ]
        if given:
            return f"{' and '.join(given)} set without SLACK_BOT_TOKEN: set the bot token too."
        return None

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)
