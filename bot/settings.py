"""Settings from the environment (and `.env`). Secrets are read here and never logged."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10"


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

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            db_path=Path(get("TALLYBOT_DB") or "tallybot.db"),
            log_level=(get("TALLYBOT_LOG_LEVEL") or "INFO").upper(),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_api_url=get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            slack_moderators=_split(get("TALLYBOT_SLACK_MODERATORS")),
            port=int(get("PORT") or 3000),
            discord_token=get("DISCORD_TOKEN"),
            discord_api_url=get("DISCORD_API_URL"),
            discord_mod_role=get("TALLYBOT_DISCORD_MOD_ROLE"),
            discord_application_id=get("DISCORD_APPLICATION_ID"),
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret))

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)
