"""A stand-in for Discord's REST API and gateway on 127.0.0.1, for tests and benchmarks.

It answers the way discord.py expects (Content-Type exactly `application/json`, 204 without a
Content-Type, 429 with `retry_after`, `Retry-After` and `Via`), records every request, checks
embeds against Discord's limits (HTTP 400 like Discord), enforces rate limits on channel
messages (per channel, and a global limit per second; interaction endpoints are exempt), and can
inject faults per channel or per route: 429, 5xx, 403/404, or a hang. A message with files
arrives as multipart/form-data (`payload_json` and `files[n]` parts): the fake reads both and
keeps the bytes (`SentFile`, in `callbacks`/`webhook_calls` under "files").

    async with FakeDiscord() as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_url)
        ...
        fake.fail_channel("123", Fault(429, retry_after=0.2))
        fake.messages  # [PostedMessage(channel_id, id, payload)]
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"
EPHEMERAL = 64
JSON_HEADERS = {"Content-Type": "application/json"}

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
TOTAL_LIMIT = 6000
EMBED_COUNT_LIMIT = 10
CONTENT_LIMIT = 2000
CHOICE_LIMIT = 25
FILE_SIZE_LIMIT = 10 * 1024 * 1024
"""Per message, for a bot without boosts."""


@dataclass
class Fault:
    """What to answer instead of success: a status (429, 500, 503, 400, 401, 403, 404...) or a
    hang."""

    status: int = 429
    retry_after: float = 1.0
    global_: bool = False
    times: int | None = 1
    """How many requests it affects; None: every one until cleared."""
    hang: bool = False
    hang_seconds: float = 30.0


@dataclass(frozen=True)
class SentFile:
    """A file part of a multipart request (`files[n]`): the bytes Discord would store."""

    field: str
    filename: str
    content_type: str
    content: bytes


@dataclass
class Recorded:
    method: str
    path: str
    """Without the /api/v10 prefix: /channels/1/messages."""
    query: dict[str, str]
    body: Any
    at: float
    """time.monotonic() when the request arrived."""
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    files: list[SentFile] = field(default_factory=list)


@dataclass
class PostedMessage:
    channel_id: str
    id: str
    payload: dict[str, Any]
    at: float


@dataclass
class _Window:
    limit: int
    seconds: float
    started: float = 0.0
    used: int = 0

    def take(self, now: float) -> tuple[bool, int, float]:
        """(allowed, remaining, reset_after)."""
        if now - self.started >= self.seconds:
            self.started, self.used = now, 0
        reset_after = self.seconds - (now - self.started)
        if self.used >= self.limit:
            return False, 0, reset_after
        self.used += 1
        return True, self.limit - self.used, reset_after


class FakeDiscord:
    def __init__(
        self,
        *,
        token: str = "fake-token",
        application_id: str = "1100000000000000001",
        bot_id: str = "1100000000000000002",
        channel_limit: tuple[int, float] | None = (5, 5.0),
        global_limit: tuple[int, float] | None = (50, 1.0),
        guilds: dict[str, dict[str, Any]] | None = None,
        port: int = 0,
    ) -> None:
        self.token = token
        self.gateway_up = True
        """False: the gateway answers 503 instead of upgrading (REST still works)."""
        self.gateway_token: str | None = None
        """The token IDENTIFY must carry (None: `token`); any other is closed with 4004."""
        self.application_id = application_id
        self.bot_id = bot_id
        self.channel_limit = channel_limit
        self.global_limit = global_limit
        self.guilds: dict[str, dict[str, Any]] = guilds or {}
        """guild id -> {"name": ..., "roles": [{"id", "name"}]} (roles also served over REST)."""
        self.requests: list[Recorded] = []
        self.callbacks: list[dict[str, Any]] = []
        """Interaction callbacks: {"interaction_id", "token", "body"}."""
        self.webhook_calls: list[dict[str, Any]] = []
        """Follow-ups and edits: {"method", "token", "message_id", "body"}."""
        self.messages: list[PostedMessage] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        """'global' or a guild id -> the commands last PUT there."""
        self.identified: list[dict[str, Any]] = []
        self.recommended_shards = 1
        """What GET /gateway/bot recommends (discord.py asks only when given no shard count)."""
        self.dm_channels: dict[str, str] = {}
        """user id -> the DM channel opened with POST /users/@me/channels."""
        self._channel_faults: dict[str, deque[Fault]] = {}
        self._route_faults: list[tuple[str, str | None, Fault]] = []
        self._delays: list[tuple[str, str | None, float]] = []
        self._channel_windows: dict[str, _Window] = {}
        self._global_window = _Window(*global_limit) if global_limit else None
        self._ids = itertools.count(1300000000000000000)
        self._interaction_messages: dict[str, dict[str, Any]] = {}
        self._by_nonce: dict[tuple[str, str], dict[str, Any]] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._shard_of: dict[web.WebSocketResponse, tuple[int, int] | None] = {}
        """Each identified socket's [shard id, shard count] (None: not sharded)."""
        self._sequence = itertools.count(1)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = port
        """0: any free port, known once started; a fixed one lets a test start it late."""

    # lifecycle --------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self._closing.set()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    # faults -----------------------------------------------------------------

    def fail_channel(self, channel_id: str | int, *faults: Fault) -> None:
        """The next POST /channels/{id}/messages answer these, in order."""
        self._channel_faults.setdefault(str(channel_id), deque()).extend(faults)

    def fail_route(self, path_prefix: str, fault: Fault, method: str | None = None) -> None:
        """Requests whose path (without /api/v10) starts with `path_prefix` answer `fault`."""
        self._route_faults.append((path_prefix, method, fault))

    def delay_route(self, path_prefix: str, seconds: float, method: str | None = None) -> None:
        """Requests whose path starts with `path_prefix` are answered normally, but only after
        `seconds` (a slow Discord: the request is recorded, so in flight, meanwhile)."""
        self._delays.append((path_prefix, method, seconds))

    def set_global_limit(self, limit: int, seconds: float = 1.0) -> None:
        """Requests allowed per window across all non-interaction routes (Discord: 50/s)."""
        self._global_window = _Window(limit, seconds)

    def clear_faults(self) -> None:
        self._channel_faults.clear()
        self._route_faults.clear()
        self._delays.clear()

    def requests_to(self, prefix: str, method: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.path.startswith(prefix) and (method is None or r.method == method)
        ]

    # gateway ----------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH (op 0) the way Discord routes it: an event of a guild goes
        only to the connection whose shard holds that guild (`shard_for`); other events, and
        events to unsharded connections, go to every connected client."""
        payload = {"op": 0, "t": event, "s": next(self._sequence), "d": data}
        guild_id = data.get("guild_id")
        for ws in list(self._sockets):
            shard = self._shard_of.get(ws)
            elsewhere = shard is not None and shard_for(guild_id or 0, shard[1]) != shard[0]
            if guild_id is not None and elsewhere:
                continue
            await ws.send_str(json.dumps(payload))

    def connected_shards(self) -> list[tuple[int, int] | None]:
        """[shard id, shard count] of every identified connection still open."""
        return [self._shard_of[ws] for ws in self._sockets if ws in self._shard_of]

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if not self.gateway_up:
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                if frame.get("op") == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif frame.get("op") == 2:
                    identify = frame.get("d", {})
                    self.identified.append(identify)
                    if identify.get("token") != (self.gateway_token or self.token):
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    shard = identify.get("shard")
                    if shard is not None and not 0 <= shard[0] < shard[1]:
                        await ws.close(code=4010, message=b"Invalid shard.")
                        break
                    self._shard_of[ws] = (shard[0], shard[1]) if shard is not None else None
                    await self._ready(ws)
        finally:
            self._sockets.discard(ws)
            self._shard_of.pop(ws, None)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        shard = self._shard_of.get(ws)
        guilds = {
            gid: guild
            for gid, guild in self.guilds.items()
            if shard is None or shard_for(gid, shard[1]) == shard[0]
        }
        ready = {
            "v": 10,
            "user": self._bot_user(),
            "guilds": [{"id": gid, "unavailable": True} for gid in guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await ws.send_str(
            json.dumps({"op": 0, "t": "READY", "s": next(self._sequence), "d": ready})
        )
        for gid, guild in guilds.items():
            await ws.send_str(
                json.dumps(
                    {
                        "op": 0,
                        "t": "GUILD_CREATE",
                        "s": next(self._sequence),
                        "d": self._guild_payload(gid, guild),
                    }
                )
            )

    def _guild_payload(self, gid: str, guild: dict[str, Any]) -> dict[str, Any]:
        roles = [
            {
                "id": r["id"],
                "name": r["name"],
                "permissions": str(r.get("permissions", 0)),
                "position": i,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
            for i, r in enumerate(guild.get("roles", []))
        ]
        return {
            "id": gid,
            "name": guild.get("name", "Guild"),
            "icon": None,
            "owner_id": "1",
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": [],
            "threads": [],
            "members": [],
            "voice_states": [],
            "presences": [],
            "member_count": 2,
            "large": False,
            "unavailable": False,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "system_channel_flags": 0,
        }

    # REST -------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        files: list[SentFile] = []
        if request.content_type == "multipart/form-data":
            body, files = _multipart(request.headers["Content-Type"], raw)
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        record = Recorded(
            request.method, path, dict(request.query), body, time.monotonic(), files=files
        )
        self.requests.append(record)
        for prefix, method, seconds in self._delays:
            if path.startswith(prefix) and method in (None, request.method):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), seconds)
                break
        response = await self._answer(request, path, body, files)
        record.status = response.status
        record.headers = dict(response.headers)
        return response

    async def _answer(
        self, request: web.Request, path: str, body: Any, files: list[SentFile]
    ) -> web.StreamResponse:
        parts = path.strip("/").split("/")
        interaction_route = parts[0] == "interactions" or (
            parts[0] == "webhooks" and len(parts) >= 3 and parts[1] == self.application_id
        )
        if not interaction_route and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        fault = self._route_fault(request.method, path)
        if fault is not None:
            return await self._fault(fault)
        if not interaction_route and self._global_window is not None:
            allowed, _, reset_after = self._global_window.take(time.monotonic())
            if not allowed:
                return _rate_limited(reset_after, global_=True)
        if sum(len(f.content) for f in files) > FILE_SIZE_LIMIT:
            return _json({"message": "Request entity too large", "code": 40005}, 413)
        method = request.method
        if method == "GET" and path == "/users/@me":
            return _json(self._bot_user())
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(self._application())
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if parts[0] == "applications" and parts[-1] == "commands":
            return self._commands(method, parts, body)
        if method == "GET" and len(parts) == 3 and parts[0] == "guilds" and parts[2] == "roles":
            roles = self.guilds.get(parts[1], {}).get("roles", [])
            return _json([{"permissions": "0", "position": 0, **r} for r in roles])
        if method == "POST" and path == "/users/@me/channels":
            return self._open_dm(body)
        if parts[0] == "interactions" and len(parts) == 4 and parts[3] == "callback":
            return self._interaction_callback(parts[1], parts[2], request.query, body, files)
        if parts[0] == "webhooks" and len(parts) >= 3:
            return self._webhook(method, parts, request.query, body, files)
        if (
            method == "POST"
            and len(parts) == 3
            and parts[0] == "channels"
            and parts[2] == "messages"
        ):
            return await self._channel_message(parts[1], body)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _route_fault(self, method: str, path: str) -> Fault | None:
        for index, (prefix, wanted, fault) in enumerate(self._route_faults):
            if path.startswith(prefix) and (wanted is None or wanted == method):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._route_faults[index]
                return fault
        return None

    async def _fault(self, fault: Fault) -> web.StreamResponse:
        if fault.hang:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), fault.hang_seconds)
            return _json({"message": "gave up", "code": 0}, 504)
        if fault.status == 429:
            return _rate_limited(fault.retry_after, global_=fault.global_)
        if fault.status == 403:
            return _json({"message": "Missing Access", "code": 50001}, 403)
        if fault.status == 404:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if fault.status == 400:
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        if fault.status == 401:
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return _json({"message": "Internal Server Error", "code": 0}, fault.status)

    def _commands(self, method: str, parts: list[str], body: Any) -> web.Response:
        scope = parts[3] if len(parts) == 5 and parts[2] == "guilds" else "global"
        if method == "GET":
            return _json(self.commands.get(scope, []))
        if method != "PUT" or not isinstance(body, list):
            return _json({"message": "405: Method Not Allowed", "code": 0}, 405)
        problems = _command_problems(body)
        if problems:
            return _invalid(problems)
        echoed = []
        for command in body:
            item = {
                **command,
                "id": str(next(self._ids)),
                "application_id": self.application_id,
                "version": "1",
            }
            if scope != "global":
                item["guild_id"] = scope
            echoed.append(item)
        self.commands[scope] = echoed
        return _json(echoed)

    def _interaction_callback(
        self, interaction_id: str, token: str, query: Any, body: Any, files: list[SentFile]
    ) -> web.StreamResponse:
        if not isinstance(body, dict):
            return _invalid({"body": "not JSON"})
        kind = body.get("type")
        data = body.get("data") or {}
        if kind in (4, 7):
            problems = _message_problems(data)
            if problems:
                return _invalid(problems)
        if kind == 8 and len(data.get("choices", [])) > CHOICE_LIMIT:
            return _invalid({"data.choices": "Must be 25 or fewer in length."})
        if kind == 9:
            problems = _modal_problems(data)
            if problems:
                return _invalid(problems)
        self.callbacks.append(
            {"interaction_id": interaction_id, "token": token, "body": body, "files": files}
        )
        message = None
        if kind in (4, 5):
            message = self._message("0", data if kind == 4 else {"flags": data.get("flags", 0)})
            if kind == 5:
                message["flags"] = data.get("flags", 0) | 128
            self._interaction_messages[token] = message
        if query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        flags = (message or {}).get("flags", 0)
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        }
        if kind in (4, 5, 8):
            answer["resource"] = {"type": kind}
            if message is not None:
                answer["resource"]["message"] = message
        return _json(answer)

    def _webhook(
        self, method: str, parts: list[str], query: Any, body: Any, files: list[SentFile]
    ) -> web.StreamResponse:
        token = parts[2]
        message_id = parts[4] if len(parts) >= 5 and parts[3] == "messages" else None
        self.webhook_calls.append(
            {
                "method": method,
                "token": token,
                "message_id": message_id,
                "body": body,
                "files": files,
            }
        )
        if method in ("POST", "PATCH") and isinstance(body, dict):
            problems = _message_problems(body)
            if problems:
                return _invalid(problems)
        if method == "POST" and message_id is None:
            message = self._message("0", body or {})
            return _json(message) if query.get("wait") in ("1", "true", "True") else _no_content()
        original = self._interaction_messages.get(token)
        if message_id == "@original" and original is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "DELETE":
            self._interaction_messages.pop(token, None)
            return _no_content()
        if method == "PATCH":
            target = original if message_id == "@original" else self._message("0", {})
            assert target is not None
            for key in ("content", "embeds", "components", "allowed_mentions"):
                if isinstance(body, dict) and key in body:
                    target[key] = body[key]
            target["flags"] = target.get("flags", 0) & ~128
            return _json(target)
        if method == "GET" and original is not None:
            return _json(original)
        return _json({"message": "Unknown Message", "code": 10008}, 404)

    async def _channel_message(self, channel_id: str, body: Any) -> web.StreamResponse:
        faults = self._channel_faults.get(channel_id)
        if faults:
            fault = faults[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.popleft()
            return await self._fault(fault)
        headers: dict[str, str] = {}
        if self.channel_limit is not None:
            window = self._channel_windows.setdefault(channel_id, _Window(*self.channel_limit))
            allowed, remaining, reset_after = window.take(time.monotonic())
            if not allowed:
                return _rate_limited(reset_after)
            headers = {
                "X-RateLimit-Limit": str(window.limit),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": "fake-channel-messages",
            }
        if not isinstance(body, dict):
            return _invalid({"body": "not JSON"})
        problems = _message_problems(body)
        if problems:
            return _invalid(problems)
        nonce = body.get("nonce") if body.get("enforce_nonce") else None
        if nonce is not None and (channel_id, nonce) in self._by_nonce:
            # Like Discord: the same author's nonce seen recently returns the first message.
            return _json(self._by_nonce[(channel_id, nonce)], headers=headers)
        message = self._message(channel_id, body)
        if nonce is not None:
            self._by_nonce[(channel_id, nonce)] = message
        self.messages.append(PostedMessage(channel_id, message["id"], body, time.monotonic()))
        return _json(message, headers=headers)

    def _open_dm(self, body: Any) -> web.Response:
        """POST /users/@me/channels: the bot's DM channel with a user (one per user)."""
        recipient = str((body or {}).get("recipient_id") or "")
        if not recipient.isdigit():
            return _invalid({"recipient_id": "Value is not snowflake."})
        channel_id = self.dm_channels.setdefault(recipient, str(next(self._ids)))
        user = {
            "id": recipient,
            "username": f"user{recipient[-3:]}",
            "discriminator": "0",
            "avatar": None,
            "global_name": None,
        }
        return _json(
            {"id": channel_id, "type": 1, "recipients": [user], "last_message_id": None, "flags": 0}
        )

    def dm_messages(self, user_id: str) -> list[PostedMessage]:
        """What the bot sent a user directly."""
        channel_id = self.dm_channels.get(user_id)
        return [m for m in self.messages if m.channel_id == channel_id]

    # payloads ---------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "username": "tallybot",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
        }

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "tallybot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": {
                "id": "1",
                "username": "owner",
                "discriminator": "0",
                "avatar": None,
            },
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "summary": "",
        }

    def _message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-11-23T12:00:00+00:00",
            "edited_timestamp": None,
            "flags": body.get("flags", 0) or 0,
            "author": self._bot_user(),
            "application_id": self.application_id,
        }


def _multipart(content_type: str, raw: bytes) -> tuple[Any, list[SentFile]]:
    """A multipart/form-data body: its `payload_json` part (the message) and its files."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    payload: Any = None
    files: list[SentFile] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        if name == "payload_json":
            payload = json.loads(content)
        else:
            files.append(
                SentFile(str(name), part.get_filename() or "", part.get_content_type(), content)
            )
    return payload, files


def shard_for(guild_id: str | int, shard_count: int) -> int:
    """Discord's rule: the shard that receives a guild's events."""
    return (int(guild_id) >> 22) % shard_count


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly application/json: discord.py compares the header (no charset suffix).
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**JSON_HEADERS, **(headers or {})}
    )


def _no_content() -> web.Response:
    return web.Response(status=204)


def _rate_limited(retry_after: float, *, global_: bool = False) -> web.Response:
    headers = {
        "Retry-After": str(max(1, round(retry_after + 0.499))),
        "X-RateLimit-Scope": "global" if global_ else "user",
        "Via": "1.1 google",
    }
    if global_:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": global_,
    }
    return _json(body, 429, headers)


def _invalid(errors: dict[str, str]) -> web.Response:
    return _json({"code": 50035, "message": "Invalid Form Body", "errors": errors}, 400)


def _message_problems(body: dict[str, Any]) -> dict[str, str]:
    """Discord's message limits: content, embed count, and each embed's parts and total."""
    problems: dict[str, str] = {}
    if len(body.get("content") or "") > CONTENT_LIMIT:
        problems["content"] = f"Must be {CONTENT_LIMIT} or fewer in length."
    embeds = body.get("embeds") or []
    if len(embeds) > EMBED_COUNT_LIMIT:
        problems["embeds"] = f"Must be {EMBED_COUNT_LIMIT} or fewer in length."
    total = 0
    for i, embed in enumerate(embeds):
        checks = [
            ("title", embed.get("title") or "", TITLE_LIMIT),
            ("description", embed.get("description") or "", DESCRIPTION_LIMIT),
            ("footer.text", (embed.get("footer") or {}).get("text") or "", FOOTER_LIMIT),
            ("author.name", (embed.get("author") or {}).get("name") or "", AUTHOR_LIMIT),
        ]
        fields = embed.get("fields") or []
        if len(fields) > FIELD_COUNT_LIMIT:
            problems[f"embeds.{i}.fields"] = f"Must be {FIELD_COUNT_LIMIT} or fewer in length."
        for j, item in enumerate(fields):
            checks.append((f"fields.{j}.name", item.get("name") or "", FIELD_NAME_LIMIT))
            checks.append((f"fields.{j}.value", item.get("value") or "", FIELD_VALUE_LIMIT))
            if not item.get("name") or not item.get("value"):
                problems[f"embeds.{i}.fields.{j}"] = "This field is required"
        for name, text, limit in checks:
            total += len(text)
            if len(text) > limit:
                problems[f"embeds.{i}.{name}"] = f"Must be {limit} or fewer in length."
    if total > TOTAL_LIMIT:
        problems["embeds"] = f"Embed size exceeds maximum size of {TOTAL_LIMIT}"
    problems.update(_components_problems(body.get("components") or []))
    return problems


def _components_problems(components: list[dict[str, Any]]) -> dict[str, str]:
    """Message components: at most 5 action rows of at most 5 buttons, custom ids unique and
    at most 100 characters, labels at most 80."""
    problems: dict[str, str] = {}
    if len(components) > 5:
        problems["components"] = "Must be 5 or fewer in length."
    seen: set[str] = set()
    for i, row in enumerate(components):
        inner = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(inner) <= 5:
            problems[f"components.{i}"] = "An action row holds 1 to 5 components."
        for j, item in enumerate(inner):
            custom_id = str(item.get("custom_id") or "")
            if not 1 <= len(custom_id) <= 100 or custom_id in seen:
                problems[f"components.{i}.components.{j}.custom_id"] = "Invalid or duplicate."
            seen.add(custom_id)
            if len(item.get("label") or "") > 80:
                problems[f"components.{i}.components.{j}.label"] = "Must be 80 or fewer."
    return problems


def _modal_problems(data: dict[str, Any]) -> dict[str, str]:
    """A modal: custom_id, a title of at most 45, 1 to 5 text inputs with labels of at most
    45 and values within their max_length (at most 4000)."""
    problems: dict[str, str] = {}
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        problems["data.custom_id"] = "Invalid."
    if not 1 <= len(data.get("title") or "") <= 45:
        problems["data.title"] = "Must be between 1 and 45 in length."
    inputs: list[dict[str, Any]] = []
    for row in data.get("components") or []:
        inputs += [c for c in row.get("components") or [] if c.get("type") == 4]
        if isinstance(row.get("component"), dict) and row["component"].get("type") == 4:
            inputs.append({**row["component"], "label": row.get("label")})
    if not 1 <= len(inputs) <= 5:
        problems["data.components"] = "Must be between 1 and 5 in length."
    for k, item in enumerate(inputs):
        if not 1 <= len(item.get("label") or "") <= 45:
            problems[f"data.components.{k}.label"] = "Must be between 1 and 45 in length."
        limit = min(int(item.get("max_length") or 4000), 4000)
        if len(item.get("value") or "") > limit:
            problems[f"data.components.{k}.value"] = f"Must be {limit} or fewer in length."
    return problems


def _command_problems(commands: list[dict[str, Any]]) -> dict[str, str]:
    """The checks Discord applies to a PUT of application commands that matter here."""
    problems: dict[str, str] = {}

    def check(prefix: str, item: dict[str, Any]) -> None:
        name = item.get("name", "")
        if not (1 <= len(name) <= 32) or name != name.lower():
            problems[f"{prefix}.name"] = "Invalid name"
        if not (1 <= len(item.get("description", "")) <= 100):
            problems[f"{prefix}.description"] = "Must be between 1 and 100 in length."
        options = item.get("options") or []
        if len(options) > 25:
            problems[f"{prefix}.options"] = "Must be 25 or fewer in length."
        if len(item.get("choices") or []) > 25:
            problems[f"{prefix}.choices"] = "Must be 25 or fewer in length."
        seen_optional = False
        for k, option in enumerate(options):
            if option.get("type") in (1, 2):
                check(f"{prefix}.options.{k}", option)
                continue
            if option.get("required"):
                if seen_optional:
                    problems[f"{prefix}.options.{k}"] = "Required options must be placed first"
            else:
                seen_optional = True
            check(f"{prefix}.options.{k}", option)

    for index, command in enumerate(commands):
        check(str(index), command)
    return problems
