"""Raw INTERACTION_CREATE payloads, shaped like the ones Discord's gateway delivers."""

from __future__ import annotations

import itertools
from typing import Any

GUILD_ID = "900000000000000001"
CHANNEL_ID = "900000000000000002"
ADMIN_ID = "800000000000000001"
READER_ID = "800000000000000002"
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
EVERYDAY = (1 << 10) | (1 << 11)  # view channel, send messages

_ids = itertools.count(700000000000000001)

OPTION_TYPES = {str: 3, int: 4, bool: 5}


def user(user_id: str, name: str = "someone") -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
    }


def option(name: str, value: Any, *, kind: int | None = None, focused: bool = False) -> dict:
    item: dict[str, Any] = {"name": name, "type": kind or OPTION_TYPES[type(value)], "value": value}
    if focused:
        item["focused"] = True
    return item


def interaction(
    path: tuple[str, ...],
    options: list[dict[str, Any]] | None = None,
    *,
    kind: int = 2,
    user_id: str = ADMIN_ID,
    permissions: int = EVERYDAY | MANAGE_GUILD,
    roles: tuple[str, ...] = (),
    guild_id: str | None = GUILD_ID,
    resolved: dict[str, Any] | None = None,
    application_id: str = "1100000000000000001",
) -> dict[str, Any]:
    """A slash command (kind 2) or an autocomplete request (kind 4) for `/a b` = ('a', 'b')."""
    options = options or []
    for word in reversed(path[1:]):
        options = [{"name": word, "type": 1, "options": options}]
    data: dict[str, Any] = {
        "id": str(next(_ids)),
        "name": path[0],
        "type": 1,
        "options": options,
    }
    if guild_id:
        data["guild_id"] = guild_id
    if resolved:
        data["resolved"] = resolved
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": application_id,
        "type": kind,
        "data": data,
        "token": f"interaction-token-{next(_ids)}",
        "version": 1,
        "locale": "en-GB",
        "app_permissions": str(EVERYDAY | (1 << 14)),
        "attachment_size_limit": 8 * 1024 * 1024,
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild_id or user_id},
        "context": 0 if guild_id else 1,
        "channel_id": CHANNEL_ID,
    }
    who = user(user_id, "admin" if user_id == ADMIN_ID else f"user{user_id[-3:]}")
    if guild_id:
        payload["guild_id"] = guild_id
        payload["guild_locale"] = "en-US"
        payload["channel"] = {
            "id": CHANNEL_ID,
            "type": 0,
            "guild_id": guild_id,
            "name": "nato-watch",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "flags": 0,
        }
        payload["member"] = {
            "user": who,
            "roles": list(roles),
            "joined_at": "2025-01-01T00:00:00+00:00",
            "permissions": str(permissions),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "pending": False,
        }
    else:
        payload["channel"] = {"id": CHANNEL_ID, "type": 1, "recipients": [who], "flags": 0}
        payload["user"] = who
    return payload


def resolved_user(user_id: str, name: str = "newmod") -> dict[str, Any]:
    return {"users": {user_id: user(user_id, name)}}


def component(
    custom_id: str,
    *,
    user_id: str = ADMIN_ID,
    permissions: int = EVERYDAY | MANAGE_GUILD,
    roles: tuple[str, ...] = (),
    message_id: str = "1300000000000009999",
) -> dict[str, Any]:
    """A button press (kind 3) on a message the bot sent, as the gateway delivers it."""
    payload = interaction(("unused",), user_id=user_id, permissions=permissions, roles=roles)
    payload["type"] = 3
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    payload["message"] = {
        "id": message_id,
        "channel_id": CHANNEL_ID,
        "type": 20,
        "content": "",
        "embeds": [],
        "components": [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": "2026-11-23T12:00:00+00:00",
        "edited_timestamp": None,
        "flags": 64,
        "author": user("1100000000000000002", "tallybot"),
    }
    return payload


def modal_submit(
    custom_id: str,
    values: dict[str, str],
    *,
    user_id: str = ADMIN_ID,
    permissions: int = EVERYDAY | MANAGE_GUILD,
    labelled: bool = True,
) -> dict[str, Any]:
    """A modal's submit (kind 5): each text input inside a label (type 18), as Discord sends
    modals now, or in an action row (type 1) as it did before."""
    payload = interaction(("unused",), user_id=user_id, permissions=permissions)
    payload["type"] = 5
    inputs = [
        {"type": 4, "id": n + 2, "custom_id": name, "value": value}
        for n, (name, value) in enumerate(values.items())
    ]
    rows = (
        [{"type": 18, "id": n * 10 + 1, "component": item} for n, item in enumerate(inputs)]
        if labelled
        else [{"type": 1, "id": n * 10 + 1, "components": [item]} for n, item in enumerate(inputs)]
    )
    payload["data"] = {"custom_id": custom_id, "components": rows}
    return payload
