"""Who Discord already lets write: Manage Server (or Administrator), or the configured role.

The interaction payload carries the member's permission bits and role ids, not role names. A
role given by id is matched against those ids directly; a role given by name is looked up in the
guild cache (the client asks for the GUILDS intent, so GUILD_CREATE fills it), and when the guild
is not cached (before READY, REST-only use, tests) in the guild's roles fetched over REST and
kept for a few minutes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import discord

log = logging.getLogger(__name__)

ROLE_CACHE_SECONDS = 300.0


class ModeratorCheck:
    def __init__(
        self,
        client: discord.Client,
        mod_role: str | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.mod_role = (mod_role or "").strip() or None
        self._monotonic = monotonic
        self._role_ids_by_guild: dict[int, tuple[float, dict[str, set[int]]]] = {}

    async def is_platform_moderator(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
            return False
        permissions = interaction.permissions
        if permissions.manage_guild or permissions.administrator:
            return True
        if self.mod_role is None:
            return False
        member_roles = _role_ids(interaction.user)
        if self.mod_role.isdigit():
            return int(self.mod_role) in member_roles
        wanted = await self._ids_named(interaction.guild_id, self.mod_role)
        return bool(wanted & member_roles)

    async def _ids_named(self, guild_id: int, name: str) -> set[int]:
        key = name.casefold()
        guild = self.client.get_guild(guild_id)
        if guild is not None and guild.roles:
            return {role.id for role in guild.roles if role.name.casefold() == key}
        cached = self._role_ids_by_guild.get(guild_id)
        if cached is None or cached[0] < self._monotonic():
            try:
                roles = await self.client.http.get_roles(guild_id)
            except discord.HTTPException as exc:
                log.warning("could not fetch the roles of guild %s: HTTP %s", guild_id, exc.status)
                return set()
            by_name: dict[str, set[int]] = {}
            for role in roles:
                by_name.setdefault(str(role["name"]).casefold(), set()).add(int(role["id"]))
            cached = (self._monotonic() + ROLE_CACHE_SECONDS, by_name)
            self._role_ids_by_guild[guild_id] = cached
        return cached[1].get(key, set())


def _role_ids(member: discord.Member) -> set[int]:
    """The member's role ids from the interaction payload (discord.py keeps them even when the
    guild's roles are not cached; `member.roles` would then be empty)."""
    return set(member._roles)
