"""The review buttons and forms, named so a press is understood from the platform's payload
alone (after a restart, in another process): 'tally:sugg:confirm:42'.

The Edit and Reject forms (a Slack modal, a Discord modal, console prompts) are one list of
fields, and their submit becomes the arguments of `/tally confirm` or `/tally reject`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Verb(StrEnum):
    CONFIRM = "confirm"
    EDIT = "edit"
    REJECT = "reject"


BUTTON_PREFIX = "tally:sugg:"
FORM_PREFIX = "tally:suggform:"
_PATTERN = re.compile(r"^tally:(sugg|suggform):(confirm|edit|reject):([1-9][0-9]{0,17})$")

COMMAND_OF = {Verb.CONFIRM: "confirm", Verb.EDIT: "confirm", Verb.REJECT: "reject"}
"""The command (its key) a button or a form's submit runs: Edit submits a changed confirm."""


def button_id(verb: Verb, suggestion_id: int) -> str:
    return f"{BUTTON_PREFIX}{verb}:{suggestion_id}"


def form_id(verb: Verb, suggestion_id: int) -> str:
    return f"{FORM_PREFIX}{verb}:{suggestion_id}"


@dataclass(frozen=True)
class Pressed:
    verb: Verb
    suggestion_id: int
    form: bool
    """A form's submit (not a button)."""


def parse_id(custom_id: str) -> Pressed | None:
    """A button's or form's id, or None for anything else (never trusted beyond its shape)."""
    found = _PATTERN.match(custom_id or "")
    if found is None:
        return None
    return Pressed(Verb(found.group(2)), int(found.group(3)), found.group(1) == "suggform")


@dataclass(frozen=True)
class FormField:
    name: str
    """The parameter of /tally confirm or /tally reject it fills."""
    label: str
    value: str
    """Prefilled: what the suggestion proposes."""
    required: bool = False
    long: bool = False
    max_length: int = 200


EDIT_FIELD_LIMIT = 5
"""Discord modals hold at most five inputs: the Edit form is the same five everywhere."""


def edit_form(suggestion: Mapping[str, Any]) -> tuple[FormField, ...]:
    """What a moderator may change before confirming, prefilled from the suggestion's data
    (`/tally review id=N`); the member stays: a suggestion about another member is rejected."""
    target = suggestion.get("candidate") or suggestion.get("stage") or ""
    first = (suggestion.get("sources") or [{}])[0]
    return (
        FormField(
            "stance",
            "Stance (support, oppose, undecided...)",
            suggestion.get("stance") or "",
            required=True,
            max_length=20,
        ),
        FormField("target", "Candidate or stage (blank: none)", str(target)),
        FormField(
            "date",
            "Date said (YYYY-MM-DD)",
            str(suggestion.get("date") or ""),
            required=True,
            max_length=10,
        ),
        FormField(
            "quote",
            "Quote (blank: none)",
            str(first.get("quote") or ""),
            long=True,
            max_length=4000,
        ),
        FormField("speaker", "Speaker (blank: none)", str(first.get("speaker") or "")),
    )


REJECT_FORM = (
    FormField("reason", "Reason (optional, the suggester sees it)", "", long=True, max_length=1500),
)

CLEARABLE = ("target", "quote", "speaker")
"""A blank answer clears these (sent as 'none'); other blanks leave the suggestion's value."""


def form_args(pressed: Pressed, values: Mapping[str, str]) -> dict[str, object]:
    """A submitted form as the raw arguments of its command."""
    raw: dict[str, object] = {"suggestion_id": pressed.suggestion_id}
    for name, value in values.items():
        text = value.strip()
        if text:
            raw[name] = text
        elif pressed.verb is Verb.EDIT and name in CLEARABLE:
            raw[name] = "none"
    return raw
