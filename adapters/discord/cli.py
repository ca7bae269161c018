"""`tallybot discord sync [--guild ID]` and `tallybot discord invite`.

Registered on every `tallybot` start, so it imports nothing heavy: discord.py loads only when
one of these subcommands runs (`tallybot exec` stays quick)."""

from __future__ import annotations

import argparse

from bot.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("discord", help="Discord: sync slash commands, invite link")
    sub = parser.add_subparsers(dest="discord_action", required=True)
    sync = sub.add_parser(
        "sync", help="register the slash commands (global; --guild for instant development)"
    )
    sync.add_argument("--guild", type=int, help="sync to this server only (id), instantly")
    sync.set_defaults(func=_sync)
    invite = sub.add_parser("invite", help="print the link that adds the bot to a server")
    invite.set_defaults(func=_invite)


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.discord.tools import sync_command

    return sync_command(args, settings)


def _invite(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.discord.tools import invite_command

    return invite_command(args, settings)
