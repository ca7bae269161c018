"""The command spec: each command is declared once; every adapter derives its interface from it.

Slack and the console parse text with `bot.commands.parser`; Discord builds slash-command options
from the same `Param`s; `/tally help` and console completion read it too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from bot.commands.context import Context
    from bot.replies import Reply


class ParamKind(StrEnum):
    TEXT = "text"
    MEMBER = "member"
    TRACKER = "tracker"
    CANDIDATE = "candidate"
    """A candidate of the tracker (selection) or a stage (approval)."""
    DATE = "date"
    INTEGER = "integer"
    CHOICE = "choice"
    USER = "user"
    URL = "url"
    RULE = "rule"
    BODY = "body"


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    help: str
    required: bool = False
    positional: bool = False
    greedy: bool = False
    """Takes every remaining positional word: `declare LT support Mark Rutte`."""
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    metavar: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    """Synonyms accepted for choices: ('no', 'oppose')."""
    max_length: int | None = None
    """Longest text accepted; by default it follows the kind (see converters.max_length)."""
    enum: type[StrEnum] | None = None
    """For a choice: the enum its value becomes (Stance), so handlers get typed values."""
    field: str | None = None
    """The args dataclass field it fills, when it differs from the name users type
    (`date=` fills `made_on`, which would otherwise shadow the `date` type)."""

    @property
    def attr(self) -> str:
        """The field of the command's args dataclass this parameter fills."""
        return self.field or self.name

    @property
    def label(self) -> str:
        return self.metavar or self.name.upper()

    @property
    def shown(self) -> str:
        """How errors name it: the word the user typed or saw in the usage (ID, quote)."""
        return self.label.strip('"') if self.positional else self.name

    @property
    def example(self) -> str:
        """The parameter as it is typed: ID, reason="...", kind=selection|approval."""
        if self.positional:
            return self.label
        if self.choices:
            return f"{self.name}={'|'.join(self.choices)}"
        return f"{self.name}={self.label}"

    def usage(self) -> str:
        return self.example if self.required else f"[{self.example}]"


A = TypeVar("A")


@dataclass(frozen=True)
class NoArgs:
    """The arguments of a command that takes none."""


@dataclass(frozen=True)
class Command(Generic[A]):
    """A command, declared beside its handler in the module that runs it.

    `args` is the frozen dataclass the handler receives: each Param fills its field (`attr`),
    converted; a Param left out leaves the field's default."""

    path: tuple[str, ...]
    """Words after /tally: () for the tally itself, ('tracker', 'new') for a subcommand."""
    summary: str
    handler: Callable[[Context, A], Reply]
    args: type[A]
    params: tuple[Param, ...] = ()
    moderator_only: bool = False
    examples: tuple[str, ...] = ()
    channel_managers: bool = False
    """With moderator_only: channel managers may run it too (it only concerns their channel)."""
    follows: bool = False
    """With moderator_only: it may name another community's public tracker (subscribing to it
    only reads it)."""

    why_moderators: str = "changes the record"
    """How a refusal to a non-moderator says why: '/tally declare changes the record'."""
    proposes: bool = False
    """Not moderator_only, yet it writes (suggest): any member of the community may run it,
    in a write transaction, and what it writes is only a proposal for moderators."""

    @property
    def writes(self) -> bool:
        """It takes the write lock and acts in the asker's own community."""
        return self.moderator_only or self.proposes

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def key(self) -> str:
        """Identifier for adapters (Discord command names, JSON): 'tally', 'tracker-new'."""
        return "-".join(self.path) or "tally"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def positionals(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.positional)

    def build(self, values: Mapping[str, Any]) -> A:
        """The typed arguments from converted values keyed by parameter name."""
        return self.args(**{self._attr(name): value for name, value in values.items()})

    def _attr(self, name: str) -> str:
        param = self.param(name)
        return param.attr if param else name

    def usage(self) -> str:
        words = ["/tally", *self.path, *(p.usage() for p in self.params)]
        return " ".join(words)
