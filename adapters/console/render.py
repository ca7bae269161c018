"""Reply -> plain terminal text, with any control character in stored text made visible."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from bot.history import CONTINUED
from bot.replies import Colour, Field, Reply

_MARK = {
    Colour.REACHED: "✅",
    Colour.BLOCKED: "⛔",
    Colour.PENDING: "⏳",
    Colour.INFO: "ℹ️",
    Colour.ERROR: "",
}
_BIDI = "\u202a-\u202e\u2066-\u2069"
"""Bidi embeddings, overrides and isolates: U+202E can make text read backwards."""
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
"""C0 controls but tab and newline, DEL and C1 (\\x9b is CSI on 8-bit terminals), bidi."""
_JSON_CONTROL = re.compile(f"[\x7f-\x9f{_BIDI}]")
"""What json.dumps(ensure_ascii=False) leaves raw: DEL and C1; bidi controls too."""
_KEEP_TOGETHER = "\x00"
"""Stands for a space inside a list item while wrapping (neutralised text holds no NUL)."""


def neutralise(text: str) -> str:
    """Show control characters as `\\x1b` instead of letting the terminal obey them: a quote
    stored with `\\x1b]0;...\\x07` must not retitle, recolour or clear the reader's terminal."""
    return _CONTROL.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _wrapped(field: Field, width: int) -> list[str]:
    """A list wrapped at its separators only: 'United Kingdom' never breaks across lines. An
    item longer than a line (a command's summary) wraps at its own spaces, not mid-word."""
    room = width - 4
    items = [
        neutralise(item) if len(item) > room else neutralise(item).replace(" ", _KEEP_TOGETHER)
        for item in field.items
    ]
    text = field.separator.join(items) if items else "—"
    lines = textwrap.wrap(text, width=width, initial_indent="    ", subsequent_indent="    ")
    return [line.replace(_KEEP_TOGETHER, " ") for line in lines]


def json_text(data: Any) -> str:
    """`--json` output: JSON escapes C0 itself; DEL and C1 are escaped here too (still JSON)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _JSON_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def render_text(reply: Reply, width: int = 100) -> str:
    out = [f"{_MARK[reply.colour]} {neutralise(reply.title)}".strip()]
    out += [f"  {neutralise(line)}" for line in reply.lines]
    for field in reply.fields:
        # A day continued in a further field has an invisible heading (Discord needs one).
        name = "(continued)" if field.name == CONTINUED else neutralise(field.name)
        out.append(f"\n  {name}")
        if field.separator == "\n":
            out += [f"    {neutralise(item)}" for item in field.items] or ["    —"]
        else:
            out += _wrapped(field, width)
    for number, item in enumerate(reply.items, 1):
        out.append(f"\n  [{number}] {neutralise(item.title)}")
        out += [f"      {neutralise(line)}" for line in item.lines]
    if reply.context:
        out.append("")
        out += [f"  {neutralise(line)}" for line in reply.context]
    return "\n".join(out)
