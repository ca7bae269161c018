"""Reply -> plain terminal text, with any control character in stored text made visible."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from bot.replies import Colour, Reply

_MARK = {
    Colour.REACHED: "✅",
    Colour.BLOCKED: "⛔",
    Colour.PENDING: "⏳",
    Colour.INFO: "ℹ️",
    Colour.ERROR: "",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but tab and newline, DEL and C1 (\\x9b is CSI on 8-bit terminals)."""
_JSON_CONTROL = re.compile(r"[\x7f-\x9f]")
"""What json.dumps(ensure_ascii=False) leaves raw: DEL and C1."""


def neutralise(text: str) -> str:
    """Show control characters as `\\x1b` instead of letting the terminal obey them: a quote
    stored with `\\x1b]0;...\\x07` must not retitle, recolour or clear the reader's terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def json_text(data: Any) -> str:
    """`--json` output: JSON escapes C0 itself; DEL and C1 are escaped here too (still JSON)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _JSON_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def render_text(reply: Reply, width: int = 100) -> str:
    out = [f"{_MARK[reply.colour]} {neutralise(reply.title)}".strip()]
    out += [f"  {neutralise(line)}" for line in reply.lines]
    for field in reply.fields:
        out.append(f"\n  {neutralise(field.name)}")
        if field.separator == "\n":
            out += [f"    {neutralise(item)}" for item in field.items] or ["    —"]
        else:
            out += textwrap.wrap(
                neutralise(field.value),
                width=width,
                initial_indent="    ",
                subsequent_indent="    ",
            )
    if reply.context:
        out.append("")
        out += [f"  {neutralise(line)}" for line in reply.context]
    return "\n".join(out)
