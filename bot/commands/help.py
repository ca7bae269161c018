"""`/tally help`: the list of commands, or one in detail, read from the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.commands.context import Context
from bot.commands.parser import near_command
from bot.commands.reading import TALLY
from bot.commands.spec import Command, Param, ParamKind
from bot.errors import UserError
from bot.replies import Field, Reply
from bot.rules import RULE_HELP


@dataclass(frozen=True)
class HelpArgs:
    command: str | None = None
    """A command's words: declare, tracker new."""


def show_help(ctx: Context, args: HelpArgs) -> Reply:
    # The catalog imports this module to list HELP: read it when help runs, not on import.
    from bot.commands.catalog import COMMANDS

    return help_reply(args.command, COMMANDS)


def rules_help() -> Reply:
    """`/tally help rules`: every rule with its source and an example."""
    fields = tuple(
        Field(name, (text, f"e.g. /tally tracker new ... {example}"), separator="\n")
        for name, text, example in RULE_HELP
    )
    return Reply(
        title="Help: decision rules",
        fields=fields,
        context=('Options combine: rule=threshold=9 veto="CN,FR,GB,RU,US" base=voting.',),
        data={"rules": [name for name, _, _ in RULE_HELP]},
    )


def help_reply(topic: str | None, commands: Sequence[Command[Any]]) -> Reply:
    if topic:
        words = tuple(topic.lower().lstrip("/").split())
        if words[:1] == ("tally",):
            words = words[1:]
        if words == ("rules",):
            return rules_help()
        matches = [c for c in commands if c.path[: len(words)] == words] if words else [TALLY]
        if not matches:
            names = ", ".join(sorted({c.path[0] for c in commands if c.path}))
            near = near_command(words, commands)
            hint = f" Did you mean /tally help {near}?" if near else ""
            raise UserError(f"No command '{topic}'.{hint} Commands: {names}.")
        fields: list[Field] = []
        for command in matches:
            detail = [command.summary]
            detail += [f"{p.usage()}: {p.help}" for p in command.params]
            detail += [f"e.g. {e}" for e in command.examples]
            if command.moderator_only:
                detail.append(
                    "Moderators or channel managers only."
                    if command.channel_managers
                    else "Moderators only."
                )
            fields.append(Field(command.usage(), tuple(detail), separator="\n"))
        return Reply(
            title=f"Help: /tally {' '.join(words)}".rstrip(),
            fields=tuple(fields),
            data={"commands": [c.key for c in matches]},
        )
    listing = tuple(
        Field(c.usage(), (c.summary + (" (moderators)" if c.moderator_only else ""),))
        for c in commands
    )
    return Reply(
        title="tallybot: the tally of a decision taken by consensus",
        fields=listing,
        context=("Details: /tally help COMMAND. Quotes for spaces; options as key=value.",),
        data={"commands": [c.key for c in commands]},
    )


HELP = Command(
    path=("help",),
    summary="This list, or one command in detail.",
    handler=show_help,
    args=HelpArgs,
    params=(
        Param(
            "command",
            ParamKind.TEXT,
            "A command, e.g. declare; or rules.",
            positional=True,
            greedy=True,
            metavar="COMMAND",
        ),
    ),
)
