"""Turning raw text (or Discord option values) into typed arguments, with clear errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse

from bot.commands.spec import Command, Param, ParamKind
from bot.errors import UserError
from bot.rules import Rule

MAX_TEXT = 1500
_USER_MENTION = re.compile(r"^<@!?([A-Z0-9]+)(?:\|[^>]*)?>$", re.IGNORECASE)


def convert_args(command: Command, raw: Mapping[str, object], today: date) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, value in raw.items():
        param = command.param(name)
        if param is None:
            raise UserError(f"Unknown option '{name}' for /tally {command.name}".rstrip())
        if value is None or (isinstance(value, str) and not value.strip()):
            if param.required:
                raise UserError(f"Missing {param.label}. Usage: {command.usage()}")
            continue
        args[name] = convert(param, value, today)
    for param in command.params:
        if param.required and param.name not in args:
            raise UserError(f"Missing {param.label}. Usage: {command.usage()}")
    return args


def convert(param: Param, value: object, today: date) -> Any:
    text = str(value).strip()
    kind = param.kind
    if kind is ParamKind.DATE:
        return parse_date(text, param.name, today)
    if kind is ParamKind.INTEGER:
        return _integer(param, text)
    if kind is ParamKind.CHOICE:
        return _choice(param, text)
    if kind is ParamKind.USER:
        return parse_user(text)
    if kind is ParamKind.URL:
        return parse_url(text)
    if kind is ParamKind.RULE:
        return Rule.parse(text)
    if len(text) > MAX_TEXT:
        raise UserError(f"{param.name} is too long ({len(text)} characters; at most {MAX_TEXT}).")
    return text


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


def parse_url(text: str) -> str:
    """A full http(s) URL; Slack's escaped form <https://x|label> keeps only the URL."""
    url = text.strip().removeprefix("<").removesuffix(">").split("|", 1)[0]
    wrong = UserError(f"source='{text}' is not a web address: give a full http(s):// URL.")
    try:
        parsed = urlparse(url)
    except ValueError:
        raise wrong from None
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in url):
        raise wrong
    return url


def _integer(param: Param, text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise UserError(f"{param.name}='{text}' is not a whole number.") from None
    if param.min_value is not None and number < param.min_value:
        raise UserError(f"{param.name} must be at least {param.min_value}.")
    if param.max_value is not None and number > param.max_value:
        raise UserError(f"{param.name} must be at most {param.max_value}.")
    return number


def _choice(param: Param, text: str) -> str:
    key = text.lower().replace("_", "-").replace(" ", "-")
    if key in param.choices:
        return key
    aliases = dict(param.aliases)
    if key in aliases:
        return aliases[key]
    raise UserError(f"Unknown {param.name} '{text}'. Choose one of: {', '.join(param.choices)}.")
