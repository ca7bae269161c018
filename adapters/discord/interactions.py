"""One slash command from Discord: who asks, run it in the core, answer in time with an embed.

Discord wants a first answer within 3 seconds. The command runs with a budget (`defer_after`,
2 s): if the reply is ready, it is the answer (ephemeral or not, as the reply says); otherwise
the interaction is deferred ephemerally and the reply follows by editing that message, or, for a
recorded change meant for the channel, by a short private note plus a public follow-up.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable
from typing import Any, TypedDict

import discord

from adapters.discord.commands import PUBLIC_OPTION, is_read_command
from adapters.discord.moderation import ModeratorCheck
from adapters.discord.render import NO_MENTIONS, reply_embed
from bot.commands.context import Actor
from bot.commands.dispatcher import Dispatcher
from bot.commands.spec import Command, Param, ParamKind
from bot.completion import Suggestion, suggest
from bot.replies import ActionStyle, Reply, Visibility
from bot.storage import Store

log = logging.getLogger(__name__)

PLATFORM = "discord"
DM_WORKSPACE = "dm"
DEFER_AFTER_SECONDS = 2.0
POSTED_NOTE = "Recorded: posted in the channel."
FILE_SIZE_LIMIT = 10 * 2**20
"""What a bot may attach to one message (Discord's limit without server boosts)."""


def _workspace(interaction: discord.Interaction) -> str:
    """The server (its community decides what the user sees); direct messages have none."""
    return str(interaction.guild_id) if interaction.guild_id else DM_WORKSPACE


class InteractionHandler:
    def __init__(
        self,
        dispatcher: Dispatcher,
        store: Store,
        moderators: ModeratorCheck,
        defer_after: float = DEFER_AFTER_SECONDS,
    ) -> None:
        self.dispatcher = dispatcher
        self.store = store
        self.moderators = moderators
        self.defer_after = defer_after
        self._running: set[asyncio.Task[object]] = set()

    async def drain(self) -> None:
        """Wait for the commands being answered (on stop: they finish and reply)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def actor(self, interaction: discord.Interaction) -> Actor:
        user = interaction.user
        return Actor(
            platform=PLATFORM,
            workspace=_workspace(interaction),
            user_id=str(user.id),
            display_name=user.display_name,
            platform_moderator=await self.moderators.is_platform_moderator(interaction),
            channel=str(interaction.channel_id) if interaction.channel_id else None,
            channel_manager=_channel_manager(interaction),
            direct=interaction.guild_id is None,
        )

    async def handle(
        self, command: Command, interaction: discord.Interaction, options: dict[str, Any]
    ) -> None:
        task = asyncio.current_task()
        if task is None:
            await self._handle(command, interaction, options)
            return
        self._running.add(task)
        try:
            await self._handle(command, interaction, options)
        finally:
            self._running.discard(task)

    async def _handle(
        self, command: Command, interaction: discord.Interaction, options: dict[str, Any]
    ) -> None:
        public = bool(options.pop(PUBLIC_OPTION, False)) and is_read_command(command)
        raw = raw_args(command, options)
        kept = self.dispatcher.kept(command, raw, (PLATFORM, _workspace(interaction), None))
        if kept is not None:  # unchanged since last asked: no task, no store, no deadline
            await self._answer(interaction, kept, public)
            return
        actor = await self.actor(interaction)
        await self.respond(interaction, self.dispatcher.run(command, raw, actor), public)

    async def respond(
        self, interaction: discord.Interaction, work: Awaitable[Reply], public: bool = False
    ) -> None:
        """Answer with `work`'s reply: at once if it is ready within the budget, else after a
        deferral (a slash command, a button press and a form's submit alike)."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if task in done:
            await self._answer(interaction, task.result(), public)
            return
        deferred_private = not public
        await interaction.response.defer(ephemeral=deferred_private, thinking=True)
        reply = await task
        await self._follow_up(interaction, reply, public, deferred_private)

    async def _answer(self, interaction: discord.Interaction, reply: Reply, public: bool) -> None:
        """The reply as the interaction's first answer."""
        reply = fit_attachments(reply)
        await interaction.response.send_message(
            embed=reply_embed(reply),
            ephemeral=_ephemeral(reply, public),
            allowed_mentions=NO_MENTIONS,
            **_files(reply),
            **_buttons(reply),
        )

    async def _follow_up(
        self, interaction: discord.Interaction, reply: Reply, public: bool, deferred_private: bool
    ) -> None:
        reply = fit_attachments(reply)
        embed = reply_embed(reply)
        if _ephemeral(reply, public) or not deferred_private:
            files = _files(reply)
            # editing the deferred message attaches the files to it
            attachments: _Attachments = {"attachments": files["files"]} if files else {}
            await interaction.edit_original_response(
                embed=embed, allowed_mentions=NO_MENTIONS, **attachments, **_buttons(reply)
            )
            return
        # The deferred answer is private but a recorded change belongs in the channel.
        await interaction.edit_original_response(content=POSTED_NOTE, allowed_mentions=NO_MENTIONS)
        await interaction.followup.send(
            embed=embed, ephemeral=False, allowed_mentions=NO_MENTIONS, **_files(reply)
        )

    async def complete(
        self, param: Param, interaction: discord.Interaction, current: str
    ) -> list[Suggestion]:
        namespace = interaction.namespace
        tracker = _option_text(namespace, "tracker")
        body = _option_text(namespace, "body")
        if param.kind is ParamKind.TRACKER:
            tracker = None
        # Only what the asker's community sees: no platform rights are needed to read.
        user = interaction.user
        actor = Actor(PLATFORM, _workspace(interaction), str(user.id), user.display_name)
        shared = self.dispatcher.shared_community
        return await suggest(
            self.store, param, current or "", actor=actor, shared=shared, tracker=tracker, body=body
        )


def raw_args(command: Command, options: dict[str, Any]) -> dict[str, object]:
    """Discord option values -> what core.dispatcher.run converts (users as their id)."""
    raw: dict[str, object] = {}
    for param in command.params:
        value = options.get(param.name)
        if value is None:
            continue
        if param.kind is ParamKind.USER and isinstance(value, discord.abc.Snowflake):
            value = str(value.id)
        raw[param.name] = value
    return raw


def _channel_manager(interaction: discord.Interaction) -> bool:
    """Manage Channels here (payload permissions include channel overwrites), for commands
    the core lets channel managers run (alert subscriptions)."""
    permissions = interaction.permissions
    return interaction.guild_id is not None and (
        permissions.manage_channels or permissions.administrator
    )


def fit_attachments(reply: Reply) -> Reply:
    """Discord refuses a message whose files pass its size limit: say so instead."""
    size = sum(len(a.content) for a in reply.attachments)
    if size <= FILE_SIZE_LIMIT:
        return reply
    return Reply.error(
        f"The file is {size / 2**20:.1f} MiB, over Discord's {FILE_SIZE_LIMIT // 2**20} MiB "
        "limit: export it on the server with `tallybot export` instead."
    )


class _View(TypedDict, total=False):
    """discord.py's `view=` option, absent when the reply has no buttons."""

    view: discord.ui.View


def _buttons(reply: Reply) -> _View:
    """The reply's entries' buttons (the review queue), one row per entry, each with its
    stable custom_id. The view is stopped before it is sent: discord.py then keeps nothing in
    memory, and a press is handled from its payload alone (adapters/discord/suggestions.py),
    after any restart."""
    if not reply.items:
        return {}
    view = discord.ui.View(timeout=None)
    for row, item in enumerate(reply.items[:ROWS]):
        for action in item.actions:
            view.add_item(
                discord.ui.Button(
                    label=action.label[:BUTTON_LABEL_LIMIT],
                    custom_id=action.id,
                    style=_STYLES[action.style],
                    row=row,
                )
            )
    view.stop()
    return {"view": view}


ROWS = 5
BUTTON_LABEL_LIMIT = 80
_STYLES = {
    ActionStyle.PRIMARY: discord.ButtonStyle.primary,
    ActionStyle.DANGER: discord.ButtonStyle.danger,
    ActionStyle.DEFAULT: discord.ButtonStyle.secondary,
}


class _Files(TypedDict, total=False):
    """discord.py's `files=` option, absent when there is nothing to attach."""

    files: list[discord.File]


class _Attachments(TypedDict, total=False):
    """The same files for `edit_original_response`, which names the option `attachments=`."""

    attachments: list[discord.File]


def _files(reply: Reply) -> _Files:
    """The reply's attachments as discord.py files (sent as a multipart request)."""
    if not reply.attachments:
        return {}
    return {
        "files": [
            discord.File(io.BytesIO(a.content), filename=a.filename) for a in reply.attachments
        ]
    }


def _ephemeral(reply: Reply, public: bool) -> bool:
    if not reply.ok:
        return True
    return reply.visibility is Visibility.PRIVATE and not public


def _option_text(namespace: discord.app_commands.Namespace, name: str) -> str | None:
    value = getattr(namespace, name, None)
    return value.strip() if isinstance(value, str) and value.strip() else None
