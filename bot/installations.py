"""The storage contract for a chat app installed in many workspaces (Slack's OAuth install).

Each workspace (or Enterprise Grid org, for an org-wide install) keeps one row: its bot token
and who installed it. A one-time OAuth `state` lives until it is consumed or expires. Tokens are
handed to the store already sealed (see bot.token_cipher): the store never sees a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class WorkspaceInstall:
    """One workspace's installation. `bot_token` is as stored: sealed when a key is set."""

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool
    bot_token: str
    bot_id: str | None
    bot_user_id: str | None
    bot_scopes: str
    """Comma-separated, as Slack's oauth.v2.access answers them."""
    installer_user_id: str | None
    app_id: str | None
    team_name: str | None
    enterprise_name: str | None
    installed_at: datetime


class Installations(Protocol):
    """Installations and OAuth states."""

    def save_installation(self, install: WorkspaceInstall) -> None:
        """Create or replace the workspace's (or the org's) installation."""
        ...

    def installation(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
    ) -> WorkspaceInstall | None: ...

    def installations(self) -> list[WorkspaceInstall]:
        """Every installation (the start-up check that the key opens the stored tokens)."""
        ...

    def remove_installation(self, enterprise_id: str | None, team_id: str | None) -> bool:
        """Forget the workspace's tokens; True if there were any."""
        ...

    def issue_state(self, state: str, expires_at: datetime) -> None: ...

    def consume_state(self, state: str, now: datetime) -> bool:
        """True once for a state issued and not yet expired; it is gone afterwards."""
        ...
