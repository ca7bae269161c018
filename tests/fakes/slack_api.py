"""A local stand-in for Slack's Web API and response_url webhooks (aiohttp on 127.0.0.1).

It answers like Slack (auth.test, users.info, chat.postMessage, oauth.v2.access for an app
installed in several workspaces, each with its own token; `/hooks/KEY` for response_url;
files upload v2: files.getUploadURLExternal, the upload URL `/upload/FILE_ID` on this server,
files.completeUploadExternal),
records every request, rejects what Slack would reject (bad token, Block Kit over its limits),
enforces rate limits (about 1 message/s per channel plus a global limit) and injects per-channel
faults: 429 with Retry-After, 500, a hang, or an error code such as channel_not_found. Used by
tests/slack, by the alerts tests and by bench/slack_bench.py.

Also here: helpers that build and sign the HTTP bodies Slack sends to an app.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import math
import time
import urllib.parse
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import WSMsgType, web

DEFAULT_TOKEN = "xoxb-test-token"
DEFAULT_APP_TOKEN = "xapp-test-token"
DEFAULT_TEAM = "T0TEST"
BOT_USER = "UBOT"

FaultKind = Literal["ratelimit", "server_error", "hang", "error"]


@dataclass
class Fault:
    """What chat.postMessage does for one channel, `times` times (None: until cleared)."""

    kind: FaultKind
    times: int | None = None
    retry_after: float = 1.0
    error: str = "channel_not_found"
    hang_seconds: float = 3600.0


@dataclass(frozen=True)
class RateLimit:
    count: int
    per_seconds: float = 1.0


@dataclass
class Recorded:
    seq: int
    verb: str
    path: str
    api: str | None
    """Web API method ('chat.postMessage'), None for a response_url post."""
    headers: dict[str, str]
    payload: dict[str, Any]
    status: int = 0
    answer: Any = None

    @property
    def token(self) -> str | None:
        """The bearer token the call was made with."""
        auth = self.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


@dataclass(frozen=True)
class PostedMessage:
    """A chat.postMessage Slack accepted."""

    seq: int
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    payload: dict[str, Any]


@dataclass(frozen=True)
class ResponsePost:
    """A response_url post Slack accepted."""

    seq: int
    key: str
    payload: dict[str, Any]

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.payload.get("blocks") or [])


@dataclass(frozen=True)
class UploadedFile:
    """A file shared by files.completeUploadExternal: the bytes the upload URL received."""

    file_id: str
    filename: str
    title: str
    channel: str
    content: bytes


@dataclass
class _Upload:
    filename: str
    length: int
    content: bytes | None = None


@dataclass(frozen=True)
class Workspace:
    """A workspace the app can be installed in: `code` is what Slack hands the redirect after
    the installer approves; oauth.v2.access exchanges it for `token`."""

    team_id: str
    name: str
    token: str
    code: str
    bot_user_id: str
    installer: str
    enterprise_id: str | None = None


CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"
APP_ID = "A0TEST"
INSTALL_SCOPES = "commands,chat:write,chat:write.public,files:write,users:read"


@dataclass
class _Channel:
    fault: Fault | None = None
    sent: deque[float] = field(default_factory=deque)


class FakeSlackApi:
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        team_id: str = DEFAULT_TEAM,
        channel_limit: RateLimit | None = RateLimit(1, 1.0),
        global_limit: RateLimit | None = RateLimit(50, 1.0),
        clock: Callable[[], float] = time.monotonic,
        response_url_uses: int = 5,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.socket_acks: list[dict[str, Any]] = []
        self._sockets: list[web.WebSocketResponse] = []
        self.team_id = team_id
        self.channel_limit = channel_limit
        self.global_limit = global_limit
        self.clock = clock
        self.response_url_uses = response_url_uses
        self.users: dict[str, dict[str, Any]] = {}
        self.workspaces: dict[str, Workspace] = {}
        """By token: where each installed token belongs (see add_workspace)."""
        self.revoked: set[str] = set()
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.requests: list[Recorded] = []
        self.messages: list[PostedMessage] = []
        self.responses: list[ResponsePost] = []
        self.files: list[UploadedFile] = []
        self.views: list[dict[str, Any]] = []
        """Modals opened with views.open."""
        self._uploads: dict[str, _Upload] = {}
        self._channels: dict[str, _Channel] = defaultdict(_Channel)
        self._global_sent: deque[float] = deque()
        self._hook_uses: dict[str, int] = defaultdict(int)
        self._used_codes: set[str] = set()
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.before_post: Callable[[str], None] | None = None
        """Called with the channel as a chat.postMessage arrives, before it is accepted (a
        test acting at that moment: the sender has claimed the channel, nothing is marked)."""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/hooks/{key}", self._hook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self

    async def close(self) -> None:
        self._closing.set()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlackApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        """base_url for slack_sdk clients (ends with '/')."""
        return f"{self.url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.url}/hooks/{key}"

    # -- configuration ---------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        display_name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name.title(),
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_bot": False,
            "profile": {"display_name": display_name or name, "real_name": name.title()},
        }

    def add_workspace(
        self,
        team_id: str,
        name: str,
        *,
        installer: str = "U0INSTALL",
        enterprise_id: str | None = None,
    ) -> Workspace:
        """A workspace the app may be installed in (by OAuth): its own code, token, bot user."""
        suffix = team_id.lower()
        workspace = Workspace(
            team_id=team_id,
            name=name,
            token=f"xoxb-{suffix}-{uuid.uuid4().hex[:12]}",
            code=f"code-{suffix}-{uuid.uuid4().hex[:8]}",
            bot_user_id=f"UBOT{team_id[-3:]}",
            installer=installer,
            enterprise_id=enterprise_id,
        )
        self.workspaces[workspace.token] = workspace
        return workspace

    def revoke(self, token: str) -> None:
        """Slack stops taking a token (the app was uninstalled from its workspace)."""
        self.revoked.add(token)

    def fault(self, channel: str, kind: FaultKind, **options: Any) -> None:
        """Make chat.postMessage to `channel` fail: see `Fault` for the options."""
        self._channels[channel].fault = Fault(kind, **options)

    def clear_fault(self, channel: str) -> None:
        self._channels[channel].fault = None

    # -- inspection ------------------------------------------------------------------------
    def calls(self, api: str) -> list[Recorded]:
        return [r for r in self.requests if r.api == api]

    def messages_in(self, channel: str) -> list[PostedMessage]:
        return [m for m in self.messages if m.channel == channel]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Until `predicate()` holds (the timeout only stops a broken test from hanging)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- handlers --------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        payload = await _payload(request)
        record = Recorded(
            next(self._seq), request.method, request.path, method, dict(request.headers), payload
        )
        self.requests.append(record)
        try:
            response = await self._answer_api(method, request, payload, record)
        finally:
            await self._notify()
        record.status = response.status
        return response

    async def _answer_api(
        self, method: str, request: web.Request, payload: dict[str, Any], record: Recorded
    ) -> web.StreamResponse:
        if method == "apps.connections.open":
            if request.headers.get("Authorization") != f"Bearer {self.app_token}":
                return _ok_false("invalid_auth")
            ws_url = self.url.replace("http://", "ws://") + "/socket"
            return _json({"ok": True, "url": ws_url})
        if method == "oauth.v2.access":
            return self._oauth_access(request, payload)
        token = record.token
        if token in self.revoked:
            return _ok_false("token_revoked")
        workspace = self.workspaces.get(token or "")
        if token != self.token and workspace is None:
            return _ok_false("invalid_auth")
        if method == "auth.test":
            return _json(self._auth_test(workspace))
        if method == "users.info":
            user = self.users.get(str(payload.get("user")))
            return _json({"ok": True, "user": user}) if user else _ok_false("user_not_found")
        if method == "chat.postMessage":
            return await self._post_message(payload, record)
        if method == "views.open":
            return self._views_open(payload)
        if method == "files.getUploadURLExternal":
            return self._upload_url(payload)
        if method == "files.completeUploadExternal":
            return self._complete_upload(payload)
        return _ok_false("unknown_method")

    def _views_open(self, payload: dict[str, Any]) -> web.Response:
        """views.open: a modal within Slack's limits, opened with a trigger id."""
        view = payload.get("view") or {}
        view = json.loads(view) if isinstance(view, str) else dict(view)
        problems = []
        if not payload.get("trigger_id"):
            problems.append("no trigger_id")
        if len(view.get("title", {}).get("text", "")) > 24:
            problems.append("title over 24")
        if len(view.get("private_metadata", "")) > 3000:
            problems.append("private_metadata over 3000")
        if len(view.get("callback_id", "")) > 255:
            problems.append("callback_id over 255")
        for block in view.get("blocks") or []:
            element = block.get("element") or {}
            if len(element.get("initial_value", "")) > element.get("max_length", 3000):
                problems.append(f"{block.get('block_id')}: initial_value over max_length")
            if block.get("type") == "section":  # modals show text too (not submitted)
                if not 0 < len((block.get("text") or {}).get("text", "")) <= 3000:
                    problems.append(f"{block.get('block_id')}: section text empty or over 3000")
                continue
            if block.get("type") != "input" or not block.get("label", {}).get("text"):
                problems.append(f"{block.get('block_id')}: not an input with a label")
        if problems:
            return _json({"ok": False, "error": "invalid_arguments", "problems": problems})
        self.views.append(view)
        return _json({"ok": True, "view": {**view, "id": f"V{len(self.views):08d}"}})

    def _auth_test(self, workspace: Workspace | None) -> dict[str, Any]:
        if workspace is None:
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test Team",
                "user": "tallybot",
                "team_id": self.team_id,
                "user_id": BOT_USER,
                "bot_id": "BTEST",
                "is_enterprise_install": False,
            }
        return {
            "ok": True,
            "url": f"https://{workspace.team_id.lower()}.slack.com/",
            "team": workspace.name,
            "user": "tallybot",
            "team_id": workspace.team_id,
            "user_id": workspace.bot_user_id,
            "bot_id": f"B{workspace.team_id}",
            "enterprise_id": workspace.enterprise_id,
            "is_enterprise_install": False,
        }

    def _oauth_access(self, request: web.Request, payload: dict[str, Any]) -> web.Response:
        """Slack's answer to the code of an approved install (client id and secret by HTTP
        Basic auth, as slack_sdk sends them); a code works once."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _ok_false("invalid_client_id")
        code = str(payload.get("code") or "")
        workspace = next((w for w in self.workspaces.values() if w.code == code), None)
        if workspace is None or code in self._used_codes:
            return _ok_false("invalid_code")
        self._used_codes.add(code)
        enterprise = (
            {"id": workspace.enterprise_id, "name": "Grid"} if workspace.enterprise_id else None
        )
        return _json(
            {
                "ok": True,
                "app_id": APP_ID,
                "authed_user": {"id": workspace.installer},
                "scope": INSTALL_SCOPES,
                "token_type": "bot",
                "access_token": workspace.token,
                "bot_user_id": workspace.bot_user_id,
                "team": {"id": workspace.team_id, "name": workspace.name},
                "enterprise": enterprise,
                "is_enterprise_install": False,
            }
        )

    # -- files upload v2 -------------------------------------------------------------------
    def _upload_url(self, payload: dict[str, Any]) -> web.Response:
        filename = str(payload.get("filename") or "")
        try:
            length = int(payload.get("length") or 0)
        except ValueError:
            return _ok_false("invalid_arguments")
        if not filename or length <= 0:
            return _ok_false("invalid_arguments")
        file_id = f"F{uuid.uuid4().hex[:10].upper()}"
        self._uploads[file_id] = _Upload(filename, length)
        return _json({"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id})

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        """The upload URL: takes the raw bytes (what slack_sdk sends) or a multipart file."""
        upload = self._uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()))
            content = part.file.read() if hasattr(part, "file") else str(part).encode()
        else:
            content = await request.read()
        if len(content) != upload.length:
            return web.Response(status=400, text=f"expected {upload.length} bytes")
        upload.content = content
        return web.Response(status=200, text=f"OK - {len(content)}")

    def _complete_upload(self, payload: dict[str, Any]) -> web.Response:
        try:
            items = json.loads(str(payload.get("files") or "[]"))
        except ValueError:
            return _ok_false("invalid_arguments")
        channel_id = str(payload.get("channel_id") or "")
        fault = self._channels[channel_id].fault if channel_id else None
        if fault is not None and fault.kind == "error":
            return _ok_false(fault.error)
        uploads = [(item.get("id"), self._uploads.get(str(item.get("id")))) for item in items]
        if not items or any(u is None or u.content is None for _, u in uploads):
            return _ok_false("file_not_found")
        shared = []
        for (file_id, upload), item in zip(uploads, items, strict=True):
            assert upload is not None and upload.content is not None
            title = str(item.get("title") or upload.filename)
            self.files.append(
                UploadedFile(str(file_id), upload.filename, title, channel_id, upload.content)
            )
            shared.append({"id": file_id, "name": upload.filename, "title": title})
        return _json({"ok": True, "files": shared})

    async def _post_message(self, payload: dict[str, Any], record: Recorded) -> web.StreamResponse:
        channel_id = str(payload.get("channel") or "")
        if not channel_id:
            return _ok_false("channel_not_found")
        if self.before_post is not None:
            self.before_post(channel_id)
        channel = self._channels[channel_id]
        fault = channel.fault
        if fault is not None:
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    channel.fault = None
            return await self._faulty(fault)
        now = self.clock()
        wait = max(
            _window_wait(channel.sent, self.channel_limit, now),
            _window_wait(self._global_sent, self.global_limit, now),
        )
        if wait > 0:
            return _rate_limited(wait)
        blocks = _blocks(payload)
        problems = block_kit_problems(blocks)
        if problems or not (payload.get("text") or blocks):
            return _json({"ok": False, "error": "invalid_blocks", "errors": problems})
        channel.sent.append(now)
        self._global_sent.append(now)
        seq = record.seq
        ts = f"{1_700_000_000 + seq}.{seq:06d}"
        self.messages.append(
            PostedMessage(seq, channel_id, ts, str(payload.get("text") or ""), blocks, payload)
        )
        message = {"type": "message", "user": BOT_USER, "ts": ts, "text": payload.get("text")}
        return _json({"ok": True, "channel": channel_id, "ts": ts, "message": message})

    async def _faulty(self, fault: Fault) -> web.StreamResponse:
        if fault.kind == "ratelimit":
            return _rate_limited(fault.retry_after)
        if fault.kind == "server_error":
            return web.Response(status=500, text="Internal Server Error")
        if fault.kind == "hang":
            try:
                async with asyncio.timeout(fault.hang_seconds):
                    await self._closing.wait()
            except TimeoutError:
                pass
            return web.Response(status=503, text="upstream timed out")
        return _ok_false(fault.error)

    # -- Socket Mode ---------------------------------------------------------------------------
    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver an event over Socket Mode ('slash_commands', 'interactive'); returns its id,
        which the app's ack carries back (see `socket_acks`)."""
        envelope_id = uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
        }
        ws = next(ws for ws in self._sockets if not ws.closed)
        await ws.send_str(json.dumps(envelope))
        return envelope_id

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        await self._notify()
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self.socket_acks.append(json.loads(message.data))
                    await self._notify()
        finally:
            await self._notify()
        return ws

    async def _hook(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        payload = await _payload(request)
        record = Recorded(
            next(self._seq), "POST", request.path, None, dict(request.headers), payload
        )
        self.requests.append(record)
        try:
            self._hook_uses[key] += 1
            if self._hook_uses[key] > self.response_url_uses:
                response = web.Response(status=404, text="used_url")
            elif problems := block_kit_problems(_blocks(payload)):
                response = web.Response(status=400, text="invalid_blocks: " + "; ".join(problems))
            else:
                self.responses.append(ResponsePost(record.seq, key, payload))
                response = web.Response(status=200, text="ok")
        finally:
            await self._notify()
        record.status = response.status
        return response


def _window_wait(sent: deque[float], limit: RateLimit | None, now: float) -> float:
    """Seconds until one more message fits in the sliding window (0: it fits now)."""
    if limit is None:
        return 0.0
    while sent and sent[0] <= now - limit.per_seconds:
        sent.popleft()
    if len(sent) < limit.count:
        return 0.0
    return sent[0] + limit.per_seconds - now


def _rate_limited(retry_after: float) -> web.Response:
    seconds = max(1, math.ceil(retry_after))
    return web.json_response(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(seconds)}
    )


def _json(body: dict[str, Any]) -> web.Response:
    return web.json_response(body)


def _ok_false(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})


async def _payload(request: web.Request) -> dict[str, Any]:
    data: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            data.update(await request.json())
        else:
            data.update(dict(await request.post()))
    return data


def _blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = payload.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


# -- Block Kit limits (what Slack answers invalid_blocks to) -----------------------------------
def block_kit_problems(blocks: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks (max 50)")
    for index, block in enumerate(blocks):
        kind = block.get("type")
        where = f"block {index} ({kind})"
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text":
                problems.append(f"{where}: header text must be plain_text")
            if not 0 < len(text.get("text", "")) <= 150:
                problems.append(f"{where}: header text length {len(text.get('text', ''))}")
        elif kind == "section":
            text = block.get("text")
            fields = block.get("fields") or []
            if text is None and not fields:
                problems.append(f"{where}: needs text or fields")
            if text is not None and not 0 < len(text.get("text", "")) <= 3000:
                problems.append(f"{where}: text length {len(text.get('text', ''))}")
            if len(fields) > 10:
                problems.append(f"{where}: {len(fields)} fields (max 10)")
            for f in fields:
                if not 0 < len(f.get("text", "")) <= 2000:
                    problems.append(f"{where}: field length {len(f.get('text', ''))}")
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10:
                problems.append(f"{where}: {len(elements)} elements (1-10)")
            for e in elements:
                if not 0 < len(e.get("text", "")) <= 3000:
                    problems.append(f"{where}: element length {len(e.get('text', ''))}")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 25:
                problems.append(f"{where}: {len(elements)} elements (1-25)")
            for e in elements:
                if len(str(e.get("value", ""))) > 2000:
                    problems.append(f"{where}: button value over 2000")
                if len(e.get("text", {}).get("text", "")) > 75:
                    problems.append(f"{where}: button text over 75")
        elif kind != "divider":
            problems.append(f"{where}: unexpected block type")
    return problems


# -- What Slack sends to the app ---------------------------------------------------------------
def slack_encode(typed: str) -> str:
    """How Slack encodes the characters a user typed (&, <, >) in a slash command's text."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slash_command_body(
    text: str,
    response_url: str,
    *,
    team_id: str = DEFAULT_TEAM,
    user_id: str = "U0ANN",
    user_name: str = "ann",
    channel_id: str = "C0GENERAL",
    command: str = "/tally",
) -> str:
    """The form body Slack POSTs for `/tally TEXT` (`text` as Slack sends it: encoded)."""
    return urllib.parse.urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": "A0TEST",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def slash_command_fields(
    text: str,
    response_url: str,
    *,
    team_id: str = DEFAULT_TEAM,
    user_id: str = "U0ANN",
    user_name: str = "ann",
    channel_id: str = "C0GENERAL",
) -> dict[str, str]:
    """A slash command's fields (what Socket Mode delivers as the envelope's payload)."""
    return dict(
        urllib.parse.parse_qsl(
            slash_command_body(
                text,
                response_url,
                team_id=team_id,
                user_id=user_id,
                user_name=user_name,
                channel_id=channel_id,
            )
        )
    )


def block_action_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    team_id: str = DEFAULT_TEAM,
    user_id: str = "U0ANN",
    user_name: str = "ann",
    channel_id: str = "C0GENERAL",
) -> str:
    """The form body Slack POSTs when a button in an ephemeral message is clicked."""
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": "A0TEST",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "is_ephemeral": True, "channel_id": channel_id},
        "trigger_id": "1.2.4",
        "team": {"id": team_id, "domain": "test"},
        "channel": {"id": channel_id, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": value,
                "action_ts": "1700000000.1",
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    view: dict[str, Any],
    values: dict[str, str],
    *,
    team_id: str = DEFAULT_TEAM,
    user_id: str = "U0ANN",
    user_name: str = "ann",
) -> str:
    """The form body Slack POSTs when a modal opened by views.open is submitted with
    `values` ({block_id: text}; an emptied input is sent as None)."""
    state = {
        block["block_id"]: {
            block["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": values.get(block["block_id"], block["element"].get("initial_value"))
                or None,
            }
        }
        for block in view.get("blocks") or []
        if block.get("type") == "input"  # Slack submits the state of inputs only
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "test"},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": "A0TEST",
        "token": "deprecated-verification-token",
        "trigger_id": "1.2.5",
        "view": {
            **view,
            "id": "V00000001",
            "team_id": team_id,
            "state": {"values": state},
            "hash": "1.abc",
            "app_id": "A0TEST",
        },
        "response_urls": [],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], *, team_id: str, enterprise_id: str | None = None) -> str:
    """The JSON body of an Events API delivery (`event_callback`), as Slack POSTs it."""
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": team_id,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
    )


def signed_headers(
    secret: str,
    body: str,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Slack's v0 request signature (what slack_sdk's SignatureVerifier checks)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={digest}",
    }
