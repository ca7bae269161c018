"""Reply -> plain terminal text."""

from __future__ import annotations

import textwrap

from bot.replies import Colour, Reply

_MARK = {
    Colour.REACHED: "✅",
    Colour.BLOCKED: "⛔",
    Colour.PENDING: "⏳",
    Colour.INFO: "ℹ️",
    Colour.ERROR: "",
}


def render_text(reply: Reply, width: int = 100) -> str:
    out = [f"{_MARK[reply.colour]} {reply.title}".strip()]
    out += [f"  {line}" for line in reply.lines]
    for field in reply.fields:
        out.append(f"\n  {field.name}")
        if field.separator == "\n":
            out += [f"    {item}" for item in field.items] or ["    —"]
        else:
            out += textwrap.wrap(
                field.value, width=width, initial_indent="    ", subsequent_indent="    "
            )
    if reply.context:
        out.append("")
        out += [f"  {line}" for line in reply.context]
    return "\n".join(out)
