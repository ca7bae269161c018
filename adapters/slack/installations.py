"""A distributed Slack app's installation and OAuth state stores, on our own database.

They implement slack_sdk's async interfaces (AsyncInstallationStore, AsyncOAuthStateStore) for
Bolt's OAuth flow and its `authorize`, over the core's storage contract (`core.store.run` with
`tx.installations`): every process of a deployment sees the same workspaces. Tokens are sealed
with TALLYBOT_SECRET_KEY before they reach the store and opened after they leave it.

Bolt asks `async_find_installation(enterprise_id, team_id, is_enterprise_install)` for every
request (then `user_id` too, for a user token: the app asks for none, so only the installer's
own lookup finds the row). An org-wide install answers for every workspace of its org.
`app_uninstalled` and `tokens_revoked` (Bolt's token revocation listeners) end in `forget`:
the tokens go and the workspace's alert channels are paused, in one transaction.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.installations import WorkspaceInstall
from bot.storage import Store, Transaction
from bot.token_cipher import TokenCipher

log = logging.getLogger(__name__)

PLATFORM = "slack"
UNINSTALLED = "the app was uninstalled from this workspace"
"""The pause reason of a workspace's channels while the app has no token there."""
STATE_TTL = timedelta(minutes=10)
"""How long an install link stays usable (Bolt's own default)."""

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _scopes(value: str | Sequence[str] | None) -> str:
    return value if isinstance(value, str) else ",".join(value or ())


class SlackInstallations(AsyncInstallationStore):
    """Bot-token installations, one per workspace (or org), sealed at rest."""

    def __init__(self, store: Store, cipher: TokenCipher, clock: Clock = _utc_now) -> None:
        self.store = store
        self.cipher = cipher
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    # -- saving ----------------------------------------------------------------------------
    async def async_save(self, installation: Installation) -> None:
        if not installation.bot_token:
            raise ValueError("a Slack installation without a bot token")
        install = WorkspaceInstall(
            enterprise_id=installation.enterprise_id,
            team_id=installation.team_id,
            is_enterprise_install=bool(installation.is_enterprise_install),
            bot_token=self.cipher.seal(installation.bot_token),
            bot_id=installation.bot_id,
            bot_user_id=installation.bot_user_id,
            bot_scopes=_scopes(installation.bot_scopes),
            installer_user_id=installation.user_id,
            app_id=installation.app_id,
            team_name=installation.team_name,
            enterprise_name=installation.enterprise_name,
            installed_at=self.clock(),
        )

        def save(tx: Transaction) -> int:
            tx.installations.save_installation(install)
            if install.team_id is None:
                return 0
            return tx.alerts.resume_workspace(PLATFORM, install.team_id, UNINSTALLED)

        resumed = await self.store.run(save)
        log.info(
            "slack: installed in %s (%s)%s",
            install.team_name or install.enterprise_name,
            install.team_id or install.enterprise_id,
            f"; {resumed} paused channel(s) resumed" if resumed else "",
        )

    async def async_save_bot(self, bot: Bot) -> None:
        raise NotImplementedError("installations are saved whole (async_save)")

    # -- finding ---------------------------------------------------------------------------
    async def _find(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> WorkspaceInstall | None:
        def read(tx: Transaction) -> WorkspaceInstall | None:
            found = tx.installations.installation(enterprise_id, team_id, False)
            if found is None and enterprise_id:
                # An org-wide install answers for each workspace of the org.
                found = tx.installations.installation(enterprise_id, None, True)
            return found

        if is_enterprise_install:
            return await self.store.run(
                lambda tx: tx.installations.installation(enterprise_id, None, True), write=False
            )
        return await self.store.run(read, write=False)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await self._find(enterprise_id, team_id, is_enterprise_install)
        if found is None or (user_id is not None and user_id != found.installer_user_id):
            return None
        return Installation(
            **self._opened(found),
            bot_id=found.bot_id,
            bot_user_id=found.bot_user_id,
            user_id=found.installer_user_id or "",
        )

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await self._find(enterprise_id, team_id, is_enterprise_install)
        if found is None:
            return None
        return Bot(
            **self._opened(found), bot_id=found.bot_id or "", bot_user_id=found.bot_user_id or ""
        )

    def _opened(self, found: WorkspaceInstall) -> dict[str, Any]:
        """What Installation and Bot share, the token opened."""
        return {
            "app_id": found.app_id,
            "enterprise_id": found.enterprise_id,
            "enterprise_name": found.enterprise_name,
            "team_id": found.team_id,
            "team_name": found.team_name,
            "bot_token": self.cipher.open(found.bot_token),
            "bot_scopes": found.bot_scopes,
            "is_enterprise_install": found.is_enterprise_install,
            "installed_at": found.installed_at.timestamp(),
        }

    async def token_for(self, team_id: str) -> str | None:
        """The bot token of the workspace whose channel an alert goes to (None: not installed)."""
        bot = await self.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None

    async def check_key(self) -> int:
        """Open every stored token once, so a missing or wrong TALLYBOT_SECRET_KEY stops the
        start (SecretKeyError) instead of failing each request. Returns the count."""
        stored = await self.store.run(lambda tx: tx.installations.installations(), write=False)
        for install in stored:
            self.cipher.open(install.bot_token)
        return len(stored)

    # -- forgetting ------------------------------------------------------------------------
    async def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        """The workspace's tokens go and its channels pause (their alerts wait for a new
        install), in one transaction."""
        now = self.clock()

        def remove(tx: Transaction) -> tuple[bool, int]:
            removed = tx.installations.remove_installation(enterprise_id, team_id)
            if team_id is None:
                return removed, 0
            return removed, tx.alerts.pause_workspace(PLATFORM, team_id, UNINSTALLED, now)

        removed, paused = await self.store.run(remove)
        if removed or paused:
            log.info(
                "slack: tokens of %s removed; %d channel(s) paused",
                team_id or enterprise_id,
                paused,
            )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.forget(enterprise_id, team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        """A user's revoked token: the app keeps no user tokens, so only the whole
        installation (user_id None) is anything to delete."""
        if user_id is None:
            await self.forget(enterprise_id, team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.forget(enterprise_id, team_id)


class SlackOAuthStates(AsyncOAuthStateStore):
    """One-time `state` values of installs under way: issued by /slack/install, consumed once
    by /slack/oauth_redirect; a replayed, unknown or expired state is refused."""

    def __init__(self, store: Store, clock: Clock = _utc_now, ttl: timedelta = STATE_TTL) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        expires_at = self.clock() + self.ttl
        await self.store.run(lambda tx: tx.installations.issue_state(state, expires_at))
        return state

    async def async_consume(self, state: str) -> bool:
        if not state:
            return False
        now = self.clock()
        return await self.store.run(lambda tx: tx.installations.consume_state(state, now))
