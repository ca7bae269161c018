"""Synchronous queries and writes on the installations and oauth_states tables (the
bot.installations contract). Callers hold the transaction; tokens arrive already sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.installations import WorkspaceInstall
from store.repository import utc_text
from store.sql import Db


def _key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> list[str]:
    """An org-wide install is the org's, whichever workspace of it is asking."""
    return [enterprise_id or "", "" if is_enterprise_install else team_id or ""]


def _where(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
) -> tuple[str, list[str]]:
    """A workspace by its team id, an org-wide install by its enterprise id."""
    if is_enterprise_install or not team_id:
        return "enterprise_id = ? AND team_id = ''", [enterprise_id or ""]
    return "team_id = ?", [team_id]


def _install(row: dict[str, Any]) -> WorkspaceInstall:
    return WorkspaceInstall(
        enterprise_id=row["enterprise_id"] or None,
        team_id=row["team_id"] or None,
        is_enterprise_install=bool(row["is_enterprise_install"]),
        bot_token=row["bot_token"],
        bot_id=row["bot_id"],
        bot_user_id=row["bot_user_id"],
        bot_scopes=row["bot_scopes"],
        installer_user_id=row["installer_user_id"],
        app_id=row["app_id"],
        team_name=row["team_name"],
        enterprise_name=row["enterprise_name"],
        installed_at=datetime.fromisoformat(row["installed_at"]),
    )


_REPLACED = ", ".join(
    f"{column} = excluded.{column}"
    for column in (
        "is_enterprise_install",
        "bot_token",
        "bot_id",
        "bot_user_id",
        "bot_scopes",
        "installer_user_id",
        "app_id",
        "team_name",
        "enterprise_name",
        "installed_at",
    )
)
"""A workspace installed again replaces its row, every column of it."""


class InstallationRepository:
    def __init__(self, db: Db) -> None:
        self.db = db

    def save_installation(self, install: WorkspaceInstall) -> None:
        enterprise_id, team_id = _key(
            install.enterprise_id, install.team_id, install.is_enterprise_install
        )
        self.db.execute(
            "INSERT INTO installations (enterprise_id, team_id, "
            "is_enterprise_install, bot_token, bot_id, bot_user_id, bot_scopes, "
            "installer_user_id, app_id, team_name, enterprise_name, installed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            f"ON CONFLICT (enterprise_id, team_id) DO UPDATE SET {_REPLACED}",
            [
                enterprise_id,
                team_id,
                int(install.is_enterprise_install),
                install.bot_token,
                install.bot_id,
                install.bot_user_id,
                install.bot_scopes,
                install.installer_user_id,
                install.app_id,
                install.team_name,
                install.enterprise_name,
                utc_text(install.installed_at),
            ],
        )

    def installation(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
    ) -> WorkspaceInstall | None:
        """A workspace by its team id (unique across Slack, Enterprise Grid included: an alert
        knows only its channel's workspace); an org-wide install by its enterprise id."""
        where, params = _where(enterprise_id, team_id, is_enterprise_install)
        rows = list(self.db.query(f"SELECT * FROM installations WHERE {where}", params))
        return _install(rows[0]) if rows else None

    def installations(self) -> list[WorkspaceInstall]:
        rows = self.db.query("SELECT * FROM installations ORDER BY installed_at")
        return [_install(row) for row in rows]

    def remove_installation(self, enterprise_id: str | None, team_id: str | None) -> bool:
        """The workspace's row (by team id), or with no team id the org-wide install's."""
        where, params = _where(enterprise_id, team_id, not team_id)
        cursor = self.db.execute(f"DELETE FROM installations WHERE {where}", params)
        return cursor.rowcount > 0

    def issue_state(self, state: str, expires_at: datetime) -> None:
        self.db.execute(
            "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)",
            [state, utc_text(expires_at)],
        )

    def consume_state(self, state: str, now: datetime) -> bool:
        """Expired states are swept on the way, so the table only holds installs under way."""
        self.db.execute("DELETE FROM oauth_states WHERE expires_at <= ?", [utc_text(now)])
        cursor = self.db.execute("DELETE FROM oauth_states WHERE state = ?", [state])
        return cursor.rowcount > 0
