"""The slash-command tree, generated from the shared command spec (never declared by hand).

discord.py reads a command's options from its callback's signature. Each spec command gets one
generic callback whose `__signature__` lists the spec's params with discord.py annotations
(`str`, `Range[int, lo, hi]`, `discord.User`, `bool`); descriptions, choices, autocomplete and
default permissions are applied with discord.py's public decorators. Every callback forwards its
options to one handler, which calls `core.dispatcher.run`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.commands.spec import Command, Param, ParamKind
from bot.completion import COMPLETED_KINDS, Suggestion

TOP_COMMAND = "tally"
PUBLIC_OPTION = "public"
PUBLIC_HELP = "Show the answer to everyone in the channel (default: only you see it)."
DESCRIPTION_LIMIT = 100
CHOICE_LIMIT = 25
OPTION_LIMIT = 25

CommandHandler = Callable[[Command, discord.Interaction, dict[str, Any]], Awaitable[None]]
Completer = Callable[[Param, discord.Interaction, str], Awaitable[list[Suggestion]]]
Autocomplete = Callable[
    [discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]
"""What app_commands.autocomplete takes: a coroutine function, not any awaitable."""


def discord_name(command: Command) -> tuple[str, ...]:
    """Slash-command path: () -> ('tally',), ('tracker', 'new') -> ('tracker', 'new')."""
    return command.path or (TOP_COMMAND,)


def is_read_command(command: Command) -> bool:
    """Read commands answer privately and get a `public` option; writes post in the channel."""
    return not command.writes


def build_commands(
    commands: Sequence[Command], handle: CommandHandler, complete: Completer
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    """Top-level slash commands and groups for every command of the spec."""
    roots: dict[str, app_commands.Command[Any, ..., Any] | app_commands.Group] = {}
    grouped: dict[tuple[str, ...], list[Command]] = {}
    for command in commands:
        path = discord_name(command)
        if len(path) == 1:
            if path[0] in roots:
                raise ValueError(f"/{path[0]} is both a command and a group in the spec")
            roots[path[0]] = _slash_command(command, path[0], handle, complete)
        else:
            grouped.setdefault(path[:1], []).append(command)
    for (root,), members in grouped.items():
        if root in roots:
            raise ValueError(f"/{root} is both a command and a group in the spec")
        roots[root] = _group(root, members, 1, handle, complete)
    return list(roots.values())


def _group(
    name: str,
    commands: list[Command],
    depth: int,
    handle: CommandHandler,
    complete: Completer,
) -> app_commands.Group:
    writes_only = all(c.moderator_only for c in commands)
    subnames = sorted({discord_name(c)[depth] for c in commands})
    group = app_commands.Group(
        name=name,
        description=_clip(f"{name.capitalize()}: {', '.join(subnames)}."),
        default_permissions=_group_permissions(commands),
        guild_only=writes_only,
    )
    nested: dict[str, list[Command]] = {}
    for command in commands:
        path = discord_name(command)
        if len(path) == depth + 1:
            group.add_command(_slash_command(command, path[depth], handle, complete))
        else:
            nested.setdefault(path[depth], []).append(command)
    for subname, members in nested.items():
        group.add_command(_group(subname, members, depth + 1, handle, complete))
    return group


def _slash_command(
    command: Command, name: str, handle: CommandHandler, complete: Completer
) -> app_commands.Command[Any, ..., Any]:
    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        await handle(command, interaction, options)

    callback.__name__ = callback.__qualname__ = f"slash_{command.key.replace('-', '_')}"
    parameters = [
        inspect.Parameter(
            "interaction",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=discord.Interaction,
        )
    ]
    descriptions: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    completers: dict[str, Autocomplete] = {}
    for param in command.params:
        parameters.append(
            inspect.Parameter(
                param.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=option_annotation(param),
                default=inspect.Parameter.empty if param.required else None,
            )
        )
        descriptions[param.name] = _clip(param.help)
        if param.choices and len(param.choices) <= CHOICE_LIMIT:
            choices[param.name] = [app_commands.Choice(name=c, value=c) for c in param.choices]
        elif param.kind in COMPLETED_KINDS or param.choices:
            completers[param.name] = _autocomplete(param, complete)
    if is_read_command(command) and command.param(PUBLIC_OPTION) is None:
        parameters.append(
            inspect.Parameter(
                PUBLIC_OPTION, inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=False
            )
        )
        descriptions[PUBLIC_OPTION] = PUBLIC_HELP
    if len(parameters) - 1 > OPTION_LIMIT:
        raise ValueError(f"/{command.name} has more than {OPTION_LIMIT} options")
    # discord.py reads the options from inspect.signature(), which honours __signature__;
    # typeshed's function type does not declare the attribute.
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]

    decorated: Any = app_commands.describe(**descriptions)(callback)
    if choices:
        decorated = app_commands.choices(**choices)(decorated)
    if completers:
        decorated = app_commands.autocomplete(**completers)(decorated)
    if command.moderator_only:
        decorated = app_commands.default_permissions(**default_permissions(command))(decorated)
    if command.writes:  # a suggestion too belongs to a server's community: not in DMs
        decorated = app_commands.guild_only()(decorated)
    return app_commands.Command(
        name=name,
        description=_clip(command.summary),
        callback=decorated,
        extras={"spec": command.key},
    )


def default_permissions(command: Command) -> dict[str, bool]:
    """What Discord shows a write command to by default (admins can change it per server):
    Manage Server, or Manage Channels for commands channel managers may run."""
    if command.channel_managers:
        return {"manage_channels": True}
    return {"manage_guild": True}


def option_annotation(param: Param) -> Any:
    """The discord.py annotation giving the option its Discord type and bounds."""
    if param.kind is ParamKind.INTEGER:
        if param.min_value is None and param.max_value is None:
            return int
        return app_commands.Range[int, param.min_value, param.max_value]
    if param.kind is ParamKind.USER:
        return discord.User
    return str


def _group_permissions(commands: list[Command]) -> discord.Permissions | None:
    """Discord applies default permissions per top-level command: a group can carry them only
    when all its subcommands are writes needing the same (/moderator mixes `list` in)."""
    if not all(c.moderator_only for c in commands):
        return None
    wanted = {tuple(sorted(default_permissions(c))) for c in commands}
    if len(wanted) != 1:
        return None
    return discord.Permissions(**dict.fromkeys(wanted.pop(), True))


def _autocomplete(param: Param, complete: Completer) -> Autocomplete:
    async def autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = await complete(param, interaction, current)
        return [
            app_commands.Choice(name=s.label[:DESCRIPTION_LIMIT], value=s.value[:DESCRIPTION_LIMIT])
            for s in found[:CHOICE_LIMIT]
        ]

    autocomplete.__name__ = autocomplete.__qualname__ = f"complete_{param.name}"
    return autocomplete


def _clip(text: str) -> str:
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"
