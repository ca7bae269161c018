"""Platform-neutral replies: each adapter renders one into embeds, Block Kit or plain text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from typing import Any


class Colour(StrEnum):
    REACHED = "reached"
    BLOCKED = "blocked"
    PENDING = "pending"
    INFO = "info"
    ERROR = "error"

    @property
    def rgb(self) -> int:
        return _RGB[self]


_RGB = {
    Colour.REACHED: 0x2E7D32,
    Colour.BLOCKED: 0xC62828,
    Colour.PENDING: 0xF9A825,
    Colour.INFO: 0x1565C0,
    Colour.ERROR: 0x757575,
}


class Visibility(StrEnum):
    PRIVATE = "private"
    """Read replies: shown to the asker (ephemeral) unless they share it."""
    PUBLIC = "public"
    """Recorded changes: the room sees who recorded what."""


@dataclass(frozen=True)
class Field:
    """A titled list. Items stay separate so each platform can cut to its limit."""

    name: str
    items: tuple[str, ...]
    _: KW_ONLY
    """Options by name only: a separator passed by position once landed in `inline`."""
    inline: bool = False
    separator: str = ", "

    @property
    def value(self) -> str:
        return self.separator.join(self.items) if self.items else "—"


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply (an export): each adapter posts it its own way."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


class ActionStyle(StrEnum):
    PRIMARY = "primary"
    DANGER = "danger"
    DEFAULT = "default"


@dataclass(frozen=True)
class Action:
    """A button: `id` is stable and carries what it acts on ('tally:sugg:confirm:42'), so a
    press is understood from the platform's payload alone, after any restart."""

    label: str
    id: str
    style: ActionStyle = ActionStyle.DEFAULT


@dataclass(frozen=True)
class Item:
    """One entry a moderator acts on (a suggestion in the review queue), with its buttons."""

    title: str
    lines: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Notice:
    """Something to tell one person directly after the commit (a suggester, the outcome):
    `to` is who, as recorded ('platform:workspace:user (name)')."""

    to: str
    reply: Reply


@dataclass(frozen=True)
class Reply:
    title: str
    lines: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    context: tuple[str, ...] = ()
    """Small print: sources, rules, hints."""
    colour: Colour = Colour.INFO
    visibility: Visibility = Visibility.PRIVATE
    ok: bool = True
    data: dict[str, Any] = field(default_factory=dict)
    """The machine-readable form (`tallybot exec --json`)."""
    attachments: tuple[Attachment, ...] = ()
    """Files posted with the reply: Slack uploads them, Discord attaches them, the console
    saves them and prints the path."""
    items: tuple[Item, ...] = ()
    """Entries with buttons, after the lines (the review queue)."""
    notices: tuple[Notice, ...] = ()
    """Sent by the dispatcher after the commit, through each platform's Messenger."""
    drawings: tuple[Callable[[], Attachment], ...] = field(default=(), compare=False, repr=False)
    """Files still to draw (pictures): the dispatcher draws them after the transaction, on the
    picture thread, and adds them to `attachments`; a handler never draws on the store thread."""

    @classmethod
    def error(cls, message: str, hint: str | None = None) -> Reply:
        return cls(
            title="⚠️ " + message,
            context=(hint,) if hint else (),
            colour=Colour.ERROR,
            ok=False,
            data={"error": message},
        )


def fit_items(items: Sequence[str], limit: int, separator: str = ", ") -> str:
    """Join items within `limit` characters, ending in 'and N more' when they do not fit."""
    if not items:
        return "—"
    whole = separator.join(items)
    if len(whole) <= limit:
        return whole
    for keep in range(len(items) - 1, -1, -1):
        tail = f"and {len(items) - keep} more"
        text = separator.join([*items[:keep], tail])
        if len(text) <= limit:
            return text
    return clip(f"{len(items)} items", limit)


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """'1 member', '2 members', '1,200 declarations': a count that agrees with its noun."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
