"""Settings from the environment (and `.env`). Secrets are read here and never logged."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bot.limits import Limits
from bot.suggestions.model import SuggestionRules

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10"
DEFAULT_STOP_GRACE = 10.0
"""Seconds `tallybot run` lets commands and alert sends in progress finish on SIGTERM."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(value: str | Path) -> bool:
    """TALLYBOT_DB names a PostgreSQL server by URL; anything else is an SQLite file path."""
    return str(value).startswith(DATABASE_URL_SCHEMES)


def database_label(value: str | Path) -> str:
    """The database as logs and messages may show it: a URL without its user, password or
    options (host, port and database name only); a file path as it is."""
    if not is_database_url(value):
        return str(value)
    parts = urlsplit(str(value))
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


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


def _secret_key(value: str | None) -> str | None:
    """TALLYBOT_SECRET_KEY must be a Fernet key (32 bytes, url-safe base64): checked here so a
    mistyped key stops the start with a sentence, not the first install with a traceback."""
    if value is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SettingsError(
            "TALLYBOT_SECRET_KEY is not a Fernet key (44 characters of url-safe base64): make "
            'one with python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())".'
        )
    return value


def _limit(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise SettingsError(f"{name}={value} is not a limit: use a whole number of 1 or more.")
    return number


def _limits(get: Callable[[str], str | None]) -> Limits:
    """The limits a public bot needs; each setting left empty keeps its default."""
    default = Limits()
    return Limits(
        writes_per_minute=_limit(
            "TALLYBOT_WRITES_PER_MINUTE",
            get("TALLYBOT_WRITES_PER_MINUTE"),
            default.writes_per_minute,
        ),
        trackers=_limit("TALLYBOT_MAX_TRACKERS", get("TALLYBOT_MAX_TRACKERS"), default.trackers),
        channel_subscriptions=_limit(
            "TALLYBOT_MAX_CHANNEL_SUBSCRIPTIONS",
            get("TALLYBOT_MAX_CHANNEL_SUBSCRIPTIONS"),
            default.channel_subscriptions,
        ),
        community_subscriptions=_limit(
            *_renamed(get, "TALLYBOT_MAX_COMMUNITY_SUBSCRIPTIONS", _OLD_COMMUNITY_SUBSCRIPTIONS),
            default.community_subscriptions,
        ),
    )


def _suggestion_rules(get: Callable[[str], str | None]) -> SuggestionRules:
    """TALLYBOT_SUGGESTIONS_PER_HOUR (per person) and TALLYBOT_SUGGESTION_DAYS (how long a
    suggestion waits for review before it expires)."""
    default = SuggestionRules()
    days = _limit(
        "TALLYBOT_SUGGESTION_DAYS", get("TALLYBOT_SUGGESTION_DAYS"), default.lifetime.days
    )
    return SuggestionRules(
        per_hour=_limit(
            "TALLYBOT_SUGGESTIONS_PER_HOUR", get("TALLYBOT_SUGGESTIONS_PER_HOUR"), default.per_hour
        ),
        lifetime=timedelta(days=min(days, 3650)),
    )


_OLD_COMMUNITY_SUBSCRIPTIONS = "TALLYBOT_MAX_WORKSPACE_SUBSCRIPTIONS"
"""Its name from before communities (it counted one workspace): still read, so an existing
`.env` keeps its limit; the new name wins when both are set."""


def _renamed(get: Callable[[str], str | None], name: str, old: str) -> tuple[str, str | None]:
    """The setting's name and value, read under its old name when only that one is set."""
    value = get(name)
    if value is None or not value.strip():
        old_value = get(old)
        if old_value is not None and old_value.strip():
            return old, old_value
    return name, value


@dataclass(frozen=True)
class DiscordShards:
    """Which of the bot's gateway shards this process runs (`TALLYBOT_DISCORD_SHARDS`), so
    several processes can split one big bot's servers between them."""

    ids: tuple[int, ...]
    count: int

    def __str__(self) -> str:
        return f"{','.join(map(str, self.ids))}/{self.count}"


SHARDS_EXAMPLE = "such as 0-1/4 (shards 0 and 1 of 4), 2/4 or 0,3/4"


def _discord_shards(value: str | None) -> DiscordShards | None:
    """`IDS/COUNT`: ids as numbers and ranges separated by commas, every one below COUNT."""
    if value is None:
        return None

    def refuse(why: str) -> SettingsError:
        return SettingsError(
            f"TALLYBOT_DISCORD_SHARDS={value} {why}: use shard ids and the shard count "
            f"{SHARDS_EXAMPLE}."
        )

    ids_text, slash, count_text = value.replace(" ", "").partition("/")
    if not slash or not ids_text or not count_text.isdigit():
        raise refuse("is not IDS/COUNT")
    count = int(count_text)
    if count < 1:
        raise refuse("has a shard count below 1")
    ids: set[int] = set()
    for part in ids_text.split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise refuse(f"has '{part}', which is not a shard id or a range of them")
        low, high = int(first), int(last) if dash else int(first)
        if low > high:
            raise refuse(f"has the range '{part}', which runs backwards")
        if high >= count:
            raise refuse(f"names shard {high}, but shards are numbered 0 to {count - 1}")
        ids.update(range(low, high + 1))
    return DiscordShards(tuple(sorted(ids)), count)


def _stop_grace(value: str | None) -> float:
    if value is None:
        return DEFAULT_STOP_GRACE
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise SettingsError(
            f"TALLYBOT_STOP_GRACE={value} is not a number of seconds: use one such as 10."
        )
    return seconds


def _seconds(name: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number >= 1.0 or number == float("inf"):
        raise SettingsError(f"{name}={value} is not a duration: use seconds, 1 or more.")
    return number


def parse_database(value: str) -> Path | str:
    """TALLYBOT_DB or --db: a URL stays text (a Path would fold its `//`), a file is a Path."""
    return value if is_database_url(value) else Path(value)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    db_path: Path | str = Path("tallybot.db")
    """TALLYBOT_DB: an SQLite file (a Path) or a PostgreSQL URL (kept as the text given: a
    Path would fold its `//`). `database` is it as text, `uses_postgres` says which."""
    log_level: str = "INFO"
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_client_id: str | None = None
    """SLACK_CLIENT_ID with SLACK_CLIENT_SECRET: a distributed app (OAuth install, a token per
    workspace) instead of one workspace's SLACK_BOT_TOKEN."""
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_redirect_uri: str | None = None
    """SLACK_REDIRECT_URI: needed only when the app lists several redirect URLs."""
    secret_key: str | None = field(default=None, repr=False)
    """TALLYBOT_SECRET_KEY: encrypts the workspaces' tokens at rest (Fernet)."""
    slack_moderators: tuple[str, ...] = ()
    port: int = 3000
    discord_token: str | None = field(default=None, repr=False)
    discord_api_url: str | None = None
    """None: discord.py's own defaults (REST v10 and its built-in gateway)."""
    discord_mod_role: str | None = None
    discord_application_id: str | None = None
    """For `tallybot discord invite` without a token; otherwise asked of Discord's API."""
    discord_shards: DiscordShards | None = None
    """TALLYBOT_DISCORD_SHARDS: this process runs these shards (None: one unsharded client)."""
    stop_grace: float = DEFAULT_STOP_GRACE
    """TALLYBOT_STOP_GRACE: on SIGTERM, seconds for work in progress to finish."""
    public_url: str | None = None
    """TALLYBOT_PUBLIC_URL: replies about a public tracker link to its page under it."""
    limits: Limits = field(default_factory=Limits)
    """TALLYBOT_WRITES_PER_MINUTE, TALLYBOT_MAX_TRACKERS, TALLYBOT_MAX_*_SUBSCRIPTIONS."""
    alert_lease: float = 30.0
    """TALLYBOT_ALERT_LEASE: seconds a delivering process holds a channel without renewing;
    a killed process's channels are taken over by another after it."""
    suggestions: SuggestionRules = field(default_factory=SuggestionRules)
    """TALLYBOT_SUGGESTIONS_PER_HOUR, TALLYBOT_SUGGESTION_DAYS."""
    shared_community: str | None = None
    """TALLYBOT_SHARED_COMMUNITY: every new workspace and server joins this community instead
    of getting its own (a deployment run for one community; never for a public bot)."""
    feeds_private: bool = False
    """TALLYBOT_FEEDS_PRIVATE=1: news feeds may be read from loopback and private addresses
    (an intranet's feeds; tests). Off by default: a moderator's URL must not reach the
    machines beside the bot."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            db_path=parse_database(get("TALLYBOT_DB") or "tallybot.db"),
            log_level=_log_level(get("TALLYBOT_LOG_LEVEL")),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_api_url=get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            slack_client_id=get("SLACK_CLIENT_ID"),
            slack_client_secret=get("SLACK_CLIENT_SECRET"),
            slack_redirect_uri=get("SLACK_REDIRECT_URI"),
            secret_key=_secret_key(get("TALLYBOT_SECRET_KEY")),
            slack_moderators=_split(get("TALLYBOT_SLACK_MODERATORS")),
            port=_port(get("PORT")),
            discord_token=get("DISCORD_TOKEN"),
            discord_api_url=get("DISCORD_API_URL"),
            discord_mod_role=get("TALLYBOT_DISCORD_MOD_ROLE"),
            discord_application_id=get("DISCORD_APPLICATION_ID"),
            discord_shards=_discord_shards(get("TALLYBOT_DISCORD_SHARDS")),
            stop_grace=_stop_grace(get("TALLYBOT_STOP_GRACE")),
            public_url=_public_url(get("TALLYBOT_PUBLIC_URL")),
            limits=_limits(get),
            suggestions=_suggestion_rules(get),
            shared_community=(get("TALLYBOT_SHARED_COMMUNITY") or "").lower() or None,
            alert_lease=_seconds("TALLYBOT_ALERT_LEASE", get("TALLYBOT_ALERT_LEASE"), 30.0),
            feeds_private=(get("TALLYBOT_FEEDS_PRIVATE") or "").lower() in ("1", "true", "yes"),
        )

    @property
    def database(self) -> str:
        """TALLYBOT_DB as text: the file path, or the URL."""
        return str(self.db_path)

    @property
    def uses_postgres(self) -> bool:
        return is_database_url(self.db_path)

    @property
    def database_label(self) -> str:
        """The database for logs and messages: never a URL's password."""
        return database_label(self.db_path)

    @property
    def slack_distributed(self) -> bool:
        """Installed in many workspaces by OAuth (HTTP mode), each with its own token."""
        return bool(
            self.slack_client_id
            and self.slack_client_secret
            and self.slack_signing_secret
            and not self.slack_bot_token
            and not self.slack_app_token
        )

    @property
    def slack_enabled(self) -> bool:
        single = self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret)
        return bool(single) or self.slack_distributed

    def slack_missing(self) -> str | None:
        """What a half-configured Slack lacks, or None (all set, or none of it).

        Without this a bot token alone would silently start the console instead of Slack.
        """
        if self.slack_client_id or self.slack_client_secret:
            return self._distribution_missing()
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

    def _distribution_missing(self) -> str | None:
        if self.slack_bot_token:
            return (
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: keep the "
                "bot token for one workspace, or the client id and secret for a distributed app."
            )
        if self.slack_app_token:
            return (
                "SLACK_APP_TOKEN (Socket Mode) is set with SLACK_CLIENT_ID: a distributed app "
                "runs in HTTP mode, so unset SLACK_APP_TOKEN and set SLACK_SIGNING_SECRET."
            )
        lacking = [
            name
            for name, value in (
                ("SLACK_CLIENT_ID", self.slack_client_id),
                ("SLACK_CLIENT_SECRET", self.slack_client_secret),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if not value
        ]
        if lacking:
            return f"A distributed Slack app also needs {' and '.join(lacking)}."
        return None

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)
