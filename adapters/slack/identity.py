"""Who is asking, in core terms: a Slack user -> `Actor`, with the platform's write right.

Slack grants the write right to users listed in TALLYBOT_SLACK_MODERATORS and to workspace
admins/owners (users.info), who also count as managers of every channel. The DB moderator
list (/tally moderator add) is the core's business.
users.info is only asked for commands that need the right, and cached briefly: admin status
rarely changes and Slack rate-limits users.info (Tier 4).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.context import Actor

log = logging.getLogger(__name__)

USER_INFO_TTL = 120.0
"""Seconds a users.info answer (admin flag, display name) is trusted."""
USER_INFO_TIMEOUT = 5.0


@dataclass(frozen=True)
class SlackUser:
    is_admin: bool
    display_name: str


@dataclass(frozen=True)
class Asker:
    """The identity fields of a slash command or an interaction payload."""

    team_id: str
    user_id: str
    user_name: str
    channel_id: str | None
    enterprise_id: str | None = None

    @classmethod
    def from_command(cls, body: Mapping[str, Any]) -> Asker:
        return cls(
            # Slack Connect: `user_team` is the asker's own workspace, whose community gives
            # their rights, whichever workspace hosts the shared channel.
            team_id=str(body.get("user_team") or body.get("team_id") or ""),
            user_id=str(body.get("user_id") or ""),
            user_name=str(body.get("user_name") or body.get("user_id") or "someone"),
            channel_id=body.get("channel_id"),
            enterprise_id=body.get("enterprise_id") or None,
        )

    @classmethod
    def from_action(cls, body: Mapping[str, Any]) -> Asker:
        user = body.get("user") or {}
        team = body.get("team") or {}
        channel = body.get("channel") or {}
        return cls(
            team_id=str(user.get("team_id") or team.get("id") or ""),
            user_id=str(user.get("id") or ""),
            user_name=str(user.get("username") or user.get("name") or user.get("id") or "someone"),
            channel_id=channel.get("id"),
            enterprise_id=(body.get("enterprise") or {}).get("id") or None,
        )


class SlackIdentity:
    def __init__(
        self,
        moderators: Iterable[str] = (),
        ttl: float = USER_INFO_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.moderators = frozenset(moderators)
        self._ttl = ttl
        self._clock = clock
        self._users: dict[tuple[str, str], tuple[float, SlackUser]] = {}

    async def actor(self, client: AsyncWebClient, asker: Asker, needs_rights: bool) -> Actor:
        """The Actor for `asker`; asks Slack about admin rights only when they matter."""
        listed = asker.user_id in self.moderators
        user = await self.user(client, asker) if needs_rights and not listed else None
        admin = bool(user and user.is_admin)
        return Actor(
            platform="slack",
            workspace=asker.team_id,
            user_id=asker.user_id,
            display_name=user.display_name if user else asker.user_name,
            platform_moderator=listed or admin,
            channel=asker.channel_id,
            # Slack exposes no channel-manager list to a bot token: admins/owners manage every
            # channel; anyone else needs the moderator list for channel-scoped commands.
            channel_manager=admin,
            direct=bool(asker.channel_id and asker.channel_id.startswith("D")),
            enterprise=asker.enterprise_id,
        )

    async def user(self, client: AsyncWebClient, asker: Asker) -> SlackUser | None:
        key = (asker.team_id, asker.user_id)
        cached = self._users.get(key)
        now = self._clock()
        if cached and cached[0] > now:
            return cached[1]
        try:
            async with asyncio.timeout(USER_INFO_TIMEOUT):
                response = await client.users_info(user=asker.user_id)
        except (SlackApiError, TimeoutError, OSError, aiohttp.ClientError) as exc:
            # Not cached: the next command asks again. Meanwhile only listed moderators write.
            log.warning("users.info failed for %s: %s", asker.user_id, type(exc).__name__)
            return None
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        user = SlackUser(
            is_admin=bool(
                info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner")
            ),
            display_name=str(
                profile.get("display_name")
                or profile.get("real_name")
                or info.get("real_name")
                or info.get("name")
                or asker.user_name
            ),
        )
        self._users[key] = (now + self._ttl, user)
        return user
