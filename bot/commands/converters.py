"""Turning raw text (or Discord option values) into typed arguments, with clear errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, TypeVar
from urllib.parse import urlparse

from bot.commands.spec import Command, Param, ParamKind
from bot.errors import UserError
from bot.rules import Rule

MAX_TEXT = 1500
"""Default longest free text (reasons, outcomes, conditions); quotes allow more (catalog)."""
MAX_NAME = 200
"""Longest name typed: a member, tracker, candidate, body or user."""
MAX_URL = 2000
MAX_INTEGER = 2**63 - 1
"""SQLite's largest INTEGER: ids and counts above it cannot exist."""
_NAME_KINDS = {
    ParamKind.MEMBER,
    ParamKind.TRACKER,
    ParamKind.CANDIDATE,
    ParamKind.BODY,
    ParamKind.USER,
}
_USER_MENTION = re.compile(r"^<@!?([A-Z0-9]+)(?:\|[^>]*)?>$", re.IGNORECASE)
A = TypeVar("A")


def convert_args(command: Command[A], raw: Mapping[str, object], today: date) -> A:
    """The command's typed arguments from raw text or option values, with clear errors."""
    return command.build(convert_values(command, raw, today))


def convert_values(command: Command[Any], raw: Mapping[str, object], today: date) -> dict[str, Any]:
    """Each given value converted by its Param, keyed by the parameter's name."""
    args: dict[str, Any] = {}
    for name, value in raw.items():
        param = command.param(name)
        if param is None:
            raise UserError(f"Unknown option '{name}' for /tally {command.name}".rstrip())
        if value is None or (isinstance(value, str) and not value.strip()):
            if param.required:
                raise missing(command, param)
            continue
        args[name] = convert(param, value, today)
    for param in command.params:
        if param.required and param.name not in args:
            raise missing(command, param)
    return args


def missing(command: Command[Any], param: Param) -> UserError:
    """`Missing reason="..." (why it was wrong)`: the option as it is typed, and the usage."""
    help_text = param.help.rstrip(".")
    if len(help_text) > 1 and help_text[1].islower():
        help_text = help_text[0].lower() + help_text[1:]
    return UserError(f"Missing {param.example} ({help_text}).\nUsage: {command.usage()}")


def max_length(param: Param) -> int:
    if param.max_length:
        return param.max_length
    if param.kind is ParamKind.URL:
        return MAX_URL
    if param.kind in _NAME_KINDS:
        return MAX_NAME
    return MAX_TEXT


def convert(param: Param, value: object, today: date) -> Any:
    text = str(value).strip()
    _check_text(param, text)
    kind = param.kind
    if kind is ParamKind.DATE:
        return parse_date(text, param.name, today)
    if kind is ParamKind.INTEGER:
        return _integer(param, text)
    if kind is ParamKind.CHOICE:
        choice = _choice(param, text)
        return param.enum(choice) if param.enum else choice
    if kind is ParamKind.USER:
        return parse_user(text)
    if kind is ParamKind.URL:
        return parse_url(text, param.shown if param.positional else param.name)
    if kind is ParamKind.RULE:
        return Rule.parse(text)
    return text


def _check_text(param: Param, text: str) -> None:
    limit = max_length(param)
    if len(text) > limit:
        raise UserError(
            f"{param.shown} is too long: {len(text):,} characters; at most {limit:,} are "
            "allowed. Shorten it"
            + (" (link to the full text with source=)." if param.name == "quote" else ".")
            if param.kind is ParamKind.TEXT
            else f"{param.shown} is too long: {len(text):,} characters; at most {limit:,}."
        )
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise UserError(
            f"{param.shown} holds bytes that are not UTF-8 text: retype it, or check the "
            "terminal's encoding."
        )


def parse_date(text: str, name: str, today: date) -> date:
    key = text.lower()
    if key == "today":
        return today
    if key == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{name}='{text}' is not a date: write it as YYYY-MM-DD, e.g. 2024-04-02."
        ) from None


def parse_user(text: str) -> str:
    """Slack `<@U123|ann>`, Discord `<@123>` / `<@!123>`, `@name` or a bare id."""
    match = _USER_MENTION.match(text)
    if match:
        return match.group(1)
    user = text.lstrip("@").strip()
    if not user or any(c.isspace() for c in user) or "<" in user or ">" in user:
        raise UserError(f"'{text}' is not a user: mention them (@name) or give their id.")
    return user


def parse_url(text: str, name: str = "source") -> str:
    """A full http(s) URL; Slack's escaped form <https://x|label> keeps only the URL."""
    url = text.strip().removeprefix("<").removesuffix(">").split("|", 1)[0]
    said = f"{name}='{text}'" if name.islower() else f"'{text}'"
    wrong = UserError(f"{said} is not a web address: give a full http(s):// URL.")
    try:
        parsed = urlparse(url)
    except ValueError:
        raise wrong from None
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in url):
        raise wrong
    return url


def _integer(param: Param, text: str) -> int:
    """Digits, as typed or as displayed ('#57'); never larger than SQLite can hold."""
    digits = text.removeprefix("#").replace("_", "").replace(",", "").strip()
    if not (digits.isascii() and digits.lstrip("-").isdigit()):
        raise UserError(f"{_typed(param, text)} is not a whole number.")
    number = int(digits)
    if param.min_value is not None and number < param.min_value:
        raise UserError(f"{param.shown} must be at least {param.min_value}.")
    highest = MAX_INTEGER if param.max_value is None else param.max_value
    if number > highest:
        if param.max_value is None:
            raise UserError(
                f"{_typed(param, text)} is too large: no id or count goes above {MAX_INTEGER:,}."
            )
        raise UserError(f"{param.shown} must be at most {param.max_value}.")
    return number


def _typed(param: Param, text: str) -> str:
    """A value as the user wrote it: ID '57x', limit='ten'."""
    return f"{param.label} '{text}'" if param.positional else f"{param.name}='{text}'"


def _choice(param: Param, text: str) -> str:
    key = text.lower().replace("_", "-").replace(" ", "-")
    if key in param.choices:
        return key
    aliases = dict(param.aliases)
    if key in aliases:
        return aliases[key]
    raise UserError(f"Unknown {param.name} '{text}'. Choose one of: {', '.join(param.choices)}.")
