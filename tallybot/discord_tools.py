"""`tallybot discord sync [--guild ID]` and `tallybot discord invite` (REST only, no gateway).

Imported only when one of them runs: discord.py is heavy and `tallybot exec` stays quick."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import NoReturn

import discord

from adapters.discord.client import TallyClient, login_checked
from adapters.discord.commands import build_commands
from bot.commands.catalog import COMMANDS
from bot.settings import Settings

log = logging.getLogger(__name__)

SCOPES = ("bot", "applications.commands")


def invite_permissions() -> discord.Permissions:
    """The least the bot needs: see and post in channels (alerts), with embeds.

    Slash-command answers need no permission at all; these are for alert posts."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        read_message_history=True,
    )


def sync_command(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.discord_token:
        print("error: set DISCORD_TOKEN (in .env) first.", file=sys.stderr)
        return 2
    names = asyncio.run(sync_tree(settings, args.guild))
    where = f"server {args.guild}" if args.guild else "every server (global; may take a while)"
    print(f"Synced {len(names)} slash commands to {where}: {', '.join('/' + n for n in names)}")
    return 0


async def sync_tree(settings: Settings, guild_id: int | None) -> list[str]:
    """Log in over REST and PUT the command tree generated from the spec; return the synced
    names. Only the spec's shape is needed, so no database is opened."""
    client = TallyClient(None, None, settings, rest_only=True)
    for command in build_commands(COMMANDS, _not_served, _not_served):
        client.tree.add_command(command)
    try:
        await login_checked(client, settings.discord_token or "")
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            client.tree.copy_global_to(guild=guild)
        synced = await client.tree.sync(guild=guild)
        return [command.name for command in synced]
    finally:
        await client.close()


async def _not_served(*_: object) -> NoReturn:
    """The synced tree's callbacks: this process never serves interactions."""
    raise RuntimeError("a tree built for `discord sync` does not answer interactions")


def invite_command(args: argparse.Namespace, settings: Settings) -> int:
    application_id = settings.discord_application_id
    if not application_id:
        if not settings.discord_token:
            print("error: set DISCORD_APPLICATION_ID or DISCORD_TOKEN first.", file=sys.stderr)
            return 2
        application_id = str(asyncio.run(fetch_application_id(settings)))
    print(invite_url(application_id))
    return 0


def invite_url(application_id: str | int) -> str:
    return discord.utils.oauth_url(application_id, permissions=invite_permissions(), scopes=SCOPES)


async def fetch_application_id(settings: Settings) -> int:
    client = TallyClient(None, None, settings, rest_only=True)
    try:
        await login_checked(client, settings.discord_token or "")
        return int(client.application_id or 0)
    finally:
        await client.close()
