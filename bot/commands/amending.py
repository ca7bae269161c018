"""Correcting the record of a declaration without retracting it: `amend 57 quote="..."`.

An amendment is a row of its own; the declaration then reads with the amended values
everywhere, while /tally position and history still show what was first recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.commands.context import Context
from bot.commands.converters import MAX_URL, parse_url
from bot.commands.params import PROVENANCE, SOURCE
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import AMENDABLE, Confidence
from bot.errors import UserError
from bot.presentation import declaration_data, declaration_line, provenance
from bot.replies import Colour, Reply, Visibility

_ID = re.compile(r"^#?\s*(\d{1,18})$")


def declaration_id(text: str) -> int:
    """'57' or '#57', as /tally history shows it."""
    match = _ID.match(text.strip())
    if not match or int(match.group(1)) < 1:
        raise UserError(
            f"'{text}' is not a declaration id: give it as /tally history shows it, e.g. #57."
        )
    return int(match.group(1))


@dataclass(frozen=True)
class AmendArgs:
    id: str
    """As /tally history shows it: 57 or #57."""
    source: str | None = None
    quote: str | None = None
    speaker: str | None = None
    confidence: Confidence | None = None
    condition: str | None = None


def amend(ctx: Context, args: AmendArgs) -> Reply:
    declaration = ctx.repo.declaration(declaration_id(args.id))
    if declaration.retraction:
        raise UserError(
            f"#{declaration.id} was retracted ({declaration.retraction.reason}): it can't be "
            "amended. Record a new declaration instead."
        )
    given = {name: getattr(args, name) for name in AMENDABLE}
    asked = {name: _cleared(name, value) for name, value in given.items() if value is not None}
    if not asked:
        raise UserError(
            "Nothing to amend: give one or more of "
            + ", ".join(f"{n}=" for n in AMENDABLE)
            + ". An empty value changes nothing: to clear a field write it as none, e.g. "
            "speaker=none."
        )
    changes = {
        name: value for name, value in asked.items() if value != _text(getattr(declaration, name))
    }
    if not changes:
        raise UserError(f"#{declaration.id} already reads like that: nothing changed.")
    ctx.repo.add_amendment(declaration.id, changes, ctx.actor.ref, ctx.now)
    amended = ctx.repo.declaration(declaration.id)
    tracker = ctx.repo.tracker_by_id(declaration.tracker_id)
    body = ctx.body(tracker)
    lines = [
        f"{name}: {_text(getattr(declaration, name)) or '—'} → {value or '— (cleared)'}"
        for name, value in changes.items()
    ]
    lines.append(f"Now reads: {provenance(amended)}")
    return Reply(
        title=f"Amended #{declaration.id}: {declaration_line(amended, tracker, body)}",
        lines=tuple(lines),
        context=(
            f"Amended by {ctx.actor.display_name}; the original stays visible in "
            "/tally position and /tally history.",
        ),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"declaration": declaration_data(amended, tracker), "changes": changes},
    )


AMEND = Command(
    path=("amend",),
    summary="Correct a declaration's source, quote, speaker, confidence or condition.",
    handler=amend,
    args=AmendArgs,
    moderator_only=True,
    params=(
        Param(
            "id",
            ParamKind.TEXT,
            "The declaration's id, as /tally history shows it (57 or #57).",
            required=True,
            positional=True,
            metavar="ID",
        ),
        # source= takes `none` to clear it, so it is checked as a URL here, not on parsing.
        Param("source", ParamKind.TEXT, SOURCE.help, metavar="URL|none", max_length=MAX_URL),
        *(p for p in PROVENANCE if p.name != "source"),
    ),
    examples=(
        '/tally amend #57 quote="We will not block it" confidence=official',
        "/tally amend #57 speaker=none (clears the speaker)",
    ),
)


CLEAR = "none"
"""The value that clears a text field of a declaration (an empty value changes nothing)."""


def _cleared(name: str, value: object) -> str | None:
    """`none` clears a text field; any other source must be a web address."""
    text = str(value)  # text options, and Confidence (a str enum)
    if text.strip().lower() == CLEAR:
        return None
    return parse_url(text) if name == "source" else text


def _text(value: object) -> str | None:
    return None if value is None else str(value)
