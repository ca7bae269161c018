"""Text form of the commands, the same in the console and in Slack:
`/tally WORDS POSITIONALS key=value ...`, quotes for spaces."""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.commands.converters import missing
from bot.commands.spec import Command, ParamKind
from bot.errors import UserError

_OPENERS = "“„«"
_CLOSERS = "”“»"
COMMAND_CUTOFF = 0.75
"""How close a typo must be to a command word to suggest it (difflib ratio)."""
SUBCOMMAND_CUTOFF = 0.6
"""Looser once the group is known: few words to choose from ('nwe' -> 'new')."""


@dataclass(frozen=True)
class Invocation:
    command: Command[Any]
    args: dict[str, str]
    """Raw text values by parameter name; conversion happens in the dispatcher."""
    near: str | None = None
    """A command the tracker word resembles ('histroy' -> 'history'): shown if no such
    tracker exists."""


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


def parse(text: str, commands: Sequence[Command[Any]]) -> Invocation:
    words = split_words(text)
    if words and words[0].lower().lstrip("/") == "tally":
        words = words[1:]
    if words and words[0].startswith("/"):
        words[0] = words[0].lstrip("/")  # `/help`, `/tally /help`: the slash typed out of habit
    command, rest = _match(words, commands)
    if command.path or not rest or "=" in rest[0]:
        return Invocation(command, _bind(command, rest))
    near = near_command(rest, commands)
    if near is None:
        return Invocation(command, _bind(command, rest))
    try:
        args = _bind(command, rest)
    except UserError:
        raise UserError(f"Unknown command '{rest[0]}'. Did you mean /tally {near}?") from None
    return Invocation(command, args, near)


def near_command(words: Sequence[str], commands: Sequence[Command[Any]]) -> str | None:
    """The command a typo was probably meant as: 'decalre' -> 'declare', 'trackr nwe' ->
    'tracker new'."""
    heads = sorted({c.path[0] for c in commands if c.path})
    close = difflib.get_close_matches(words[0].lower(), heads, n=1, cutoff=COMMAND_CUTOFF)
    if not close:
        return None
    head = close[0]
    subs = sorted(c.path[1] for c in commands if len(c.path) > 1 and c.path[0] == head)
    if not subs:
        return head
    sub = _near_word(words[1], subs) if len(words) > 1 else None
    return f"{head} {sub}" if sub else head


def _near_word(word: str, known: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word.lower(), known, n=1, cutoff=SUBCOMMAND_CUTOFF)
    return close[0] if close else None


def _match(words: list[str], commands: Sequence[Command[Any]]) -> tuple[Command[Any], list[str]]:
    lowered = [w.lower() for w in words]
    best: Command[Any] | None = None
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
    shown = next((c for c in commands if prefix and c.path == (*prefix, "show")), None)
    if shown is not None and len(words) == len(prefix):
        # `/tally community`: the group's `show` (Discord cannot make a group a command too)
        return shown, []
    if prefix:
        depth = len(prefix)
        subs = sorted({c.path[depth] for c in commands if c.path[:depth] == prefix})
        group = " ".join(prefix)
        asked = f"'{words[depth]}' is not" if len(words) > depth else "Missing"
        near = _near_word(words[depth], subs) if len(words) > depth else None
        hint = f"Did you mean /tally {group} {near}? " if near else ""
        raise UserError(
            f"{asked} a '{group}' subcommand. {hint}Try: "
            + ", ".join(f"/tally {group} {s}" for s in subs)
        )
    root = next(c for c in commands if not c.path)
    return root, words


@dataclass
class _Word:
    text: str
    after: tuple[str, str] | None = None
    """(option as typed, its value) when this bare word directly follows an option whose
    value may hold spaces: `quote=hello world` leaves 'world' here."""


_SPACED_KINDS = {ParamKind.TEXT, ParamKind.MEMBER, ParamKind.CANDIDATE}


def _group_prefix(lowered: list[str], commands: Sequence[Command[Any]]) -> tuple[str, ...]:
    """The longest group ('tracker', 'tracker candidate') the words start with, if any."""
    found: tuple[str, ...] = ()
    for command in commands:
        for depth in range(1, len(command.path)):
            prefix = command.path[:depth]
            if tuple(lowered[:depth]) == prefix and depth > len(found):
                found = prefix
    return found


def _bind(command: Command[Any], words: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    positional: list[_Word] = []
    spill: tuple[str, str] | None = None
    for word in words:
        key, sep, value = word.partition("=")
        name = key.lower().replace("-", "_")
        param = command.param(name) if sep else None
        if param is not None:
            if name in args:
                raise UserError(f"{name}= is given twice.")
            args[name] = value
            spill = (key, value) if param.kind in _SPACED_KINDS and " " not in value else None
        elif sep and name.isidentifier() and not any(c.isspace() for c in word):
            # A quoted title may hold '=' (it has spaces); a bare word=... is a mistyped option.
            options = ", ".join(f"{p.name}=" for p in command.params if not p.positional)
            raise UserError(
                f"Unknown option '{key}=' for /tally {command.name or ''}".rstrip()
                + (f". Options: {options}" if options else "")
                + f"\nUsage: {command.usage()}"
            )
        else:
            positional.append(_Word(word, spill))
            if spill is not None:
                spill = (spill[0], f"{spill[1]} {word}")
    _fill_slots(command, positional, args)
    for param in command.params:
        if param.required and not args.get(param.name):
            raise missing(command, param)
    return args


def _fill_slots(command: Command[Any], positional: list[_Word], args: dict[str, str]) -> None:
    """Bare words fill the positional slots in order; the last text slot takes the rest.

    Words that follow an unquoted option value are only refused when they would be glued
    onto a slot already begun, or have no slot: then the value surely lost its quotes."""
    slots = command.positionals
    for index, param in enumerate(slots):
        if not positional:
            break
        if param.name in args:
            raise UserError(f"{param.label} is given twice (by position and as {param.name}=).")
        if param.greedy or (index == len(slots) - 1 and param.kind == "text"):
            taken, positional = positional, []
            glued = next((w for w in taken[1:] if w.after and not taken[0].after), None)
            if glued is not None:
                raise _spilled(command, positional=taken, word=glued)
            args[param.name] = " ".join(w.text for w in taken)
        else:
            value = positional.pop(0).text
            while param.kind == "member" and value.endswith(",") and positional:
                value += positional.pop(0).text  # a roll-call typed with spaces: AT, BE, BG
            args[param.name] = value
    if positional:
        stray = next((w for w in positional if w.after), None)
        if stray is not None:
            raise _spilled(command, positional=positional, word=stray)
        extra = " ".join(w.text for w in positional)
        raise UserError(
            f"Too many words: '{extra}'. Put text with spaces in quotes.\nUsage: {command.usage()}"
        )


def _spilled(command: Command[Any], positional: list[_Word], word: _Word) -> UserError:
    """`quote=hello world` -> put quotes around the value: quote="hello world"."""
    assert word.after is not None
    key = word.after[0]
    run = [w for w in positional if w.after and w.after[0] == key]
    first = run[0].after[1] if run[0].after else ""
    value = " ".join(part for part in (first, *(w.text for w in run)) if part)
    return UserError(
        f'Put quotes around a value with spaces: {key}="{value}". Without them, only the first '
        f"word belongs to {key}=.\nUsage: {command.usage()}"
    )
