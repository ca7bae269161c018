"""A Reply stored as JSON: alerts are worded when the change is recorded and sent later."""

from __future__ import annotations

import json
from typing import Any

from bot.replies import Colour, Field, Reply, Visibility


def reply_to_json(reply: Reply) -> str:
    return json.dumps(
        {
            "title": reply.title,
            "lines": list(reply.lines),
            "fields": [
                {
                    "name": f.name,
                    "items": list(f.items),
                    "inline": f.inline,
                    "separator": f.separator,
                }
                for f in reply.fields
            ],
            "context": list(reply.context),
            "colour": str(reply.colour),
            "visibility": str(reply.visibility),
            "ok": reply.ok,
            "data": reply.data,
        },
        ensure_ascii=False,
        default=str,
    )


def reply_from_json(text: str) -> Reply:
    raw: dict[str, Any] = json.loads(text)
    return Reply(
        title=raw["title"],
        lines=tuple(raw.get("lines", ())),
        fields=tuple(
            Field(
                f["name"],
                tuple(f["items"]),
                inline=f.get("inline", False),
                separator=f.get("separator", ", "),
            )
            for f in raw.get("fields", ())
        ),
        context=tuple(raw.get("context", ())),
        colour=Colour(raw.get("colour", "info")),
        visibility=Visibility(raw.get("visibility", "public")),
        ok=raw.get("ok", True),
        data=raw.get("data", {}),
    )
