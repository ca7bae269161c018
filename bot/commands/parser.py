"""Text form of the commands, the same in the console and in Slack:
`/tally WORDS POSITIONALS key=value ...`, quotes for spaces."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands.spec import Command
from bot.errors import UserError

_OPENERS = "“„«"
_CLOSERS = "”“»"


@dataclass(frozen=True)
class Invocation:
    command: Command
    args: dict[str, str]
    """Raw text values by parameter name; conversion happens in the dispatcher."""


def straighten_quotes(text: str) -> str:
    """Phone keyboards type “...”: treat curly quotes that open or close a value as quotes.

    Only at a value's edges (after a space or '=', before a space or the end) and never inside
    an ASCII-quoted value, so 'said “never” today' inside "..." and O’Brien stay as typed."""
    out: list[str] = []
    inside: str | None = None  # '"' or "'" (ASCII-quoted), 'curly', or None
    for index, char in enumerate(text):
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        if inside is None:
            if char in "\"'":
                inside = char
            elif char in _OPENERS and (before.isspace() or before == "="):
                inside, char = "curly", '"'
        elif inside == "curly":
            if char in _CLOSERS and after.isspace():
                inside, char = None, '"'
            elif char in '"\\':
                char = "\\" + char
        elif char == inside and before != "\\":
            inside = None
        out.append(char)
    return "".join(out)


def split_words(text: str) -> list[str]:
    cleaned = straighten_quotes(text.strip())
    try:
        return shlex.split(cleaned)
    except ValueError as exc:
        raise UserError(f"Could not read that command: {exc} (a quote is not closed?)") from exc


def parse(text: str, commands: Sequence[Command]) -> Invocation:
    words = split_words(text)
    if words and words[0].lower().lstrip("/") == "tally":
        words = words[1:]
    command, rest = _match(words, commands)
    return Invocation(command, _bind(command, rest))


def _match(words: list[str], commands: Sequence[Command]) -> tuple[Command, list[str]]:
    lowered = [w.lower() for w in words]
    best: Command | None = None
    for command in commands:
        size = len(command.path)
        if (
            size
            and tuple(lowered[:size]) == command.path
            and (best is None or size > len(best.path))
        ):
            best = command
    if best is not None:
        return best, words[len(best.path) :]
    prefix = _group_prefix(lowered, commands)
    if prefix:
        depth = len(prefix)
        subs = sorted({c.path[depth] for c in commands if c.path[:depth] == prefix})
        group = " ".join(prefix)
        asked = f"'{words[depth]}' is not" if len(words) > depth else "Missing"
        raise UserError(
            f"{asked} a '{group}' subcommand. Try: "
            + ", ".join(f"/tally {group} {s}" for s in subs)
        )
    root = next(c for c in commands if not c.path)
    return root, words


def _group_prefix(lowered: list[str], commands: Sequence[Command]) -> tuple[str, ...]:
    """The longest group ('tracker', 'tracker candidate') the words start with, if any."""
    found: tuple[str, ...] = ()
    for command in commands:
        for depth in range(1, len(command.path)):
            prefix = command.path[:depth]
            if tuple(lowered[:depth]) == prefix and depth > len(found):
                found = prefix
    return found


def _bind(command: Command, words: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        key, sep, value = word.partition("=")
        name = key.lower().replace("-", "_")
        if sep and command.param(name):
            if name in args:
                raise UserError(f"{name}= is given twice.")
            args[name] = value
        elif sep and name.isidentifier() and not any(c.isspace() for c in word):
            # A quoted title may hold '=' (it has spaces); a bare word=... is a mistyped option.
            options = ", ".join(f"{p.name}=" for p in command.params if not p.positional)
            raise UserError(
                f"Unknown option '{key}=' for /tally {command.name or ''}".rstrip()
                + (f". Options: {options}" if options else "")
                + f"\nUsage: {command.usage()}"
            )
        else:
            positional.append(word)
    slots = command.positionals
    for index, param in enumerate(slots):
        if not positional:
            break
        if param.name in args:
            raise UserError(f"{param.label} is given twice (by position and as {param.name}=).")
        if param.greedy or (index == len(slots) - 1 and param.kind == "text"):
            args[param.name] = " ".join(positional)
            positional = []
        else:
            value = positional.pop(0)
            while param.kind == "member" and value.endswith(",") and positional:
                value += positional.pop(0)  # a roll-call typed with spaces: AT, BE, BG
            args[param.name] = value
    if positional:
        extra = " ".join(positional)
        raise UserError(
            f"Too many words: '{extra}'. Put text with spaces in quotes.\nUsage: {command.usage()}"
        )
    for param in command.params:
        if param.required and not args.get(param.name):
            raise UserError(f"Missing {param.label}. Usage: {command.usage()}")
    return args
