"""The Bolt app: `/tally TEXT` -> core -> Block Kit, and the "Share in channel" button.

Every listener acks first and does the work in a task it keeps track of, so Slack's 3-second
ack never waits for the database or for rendering a long history; the answer goes out through
the response_url. The app runs with `process_before_response=True`: the ack is then returned as
soon as the listener returns (no polling), in HTTP and Socket Mode alike.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import BUTTON_VALUE_LIMIT, SHARE_ACTION_ID, render
from adapters.slack.escape import decode_slack_text
from adapters.slack.files import post_files
from adapters.slack.identity import Asker, SlackIdentity
from adapters.slack.replay import SIGNED, KeepSignature, ReplayGuard, Signed
from adapters.slack.suggestions import SuggestionActions
from bot.app import Core
from bot.errors import UserError
from bot.replies import Reply, Visibility
from bot.suggestions.actions import BUTTON_PREFIX, FORM_PREFIX

log = logging.getLogger(__name__)


class WithholdRejectedBodies(logging.Filter):
    """Bolt logs the whole body of a request that fails the signature check, response_url
    included (usable for 30 minutes when a real request was rejected for clock skew): keep the
    fact, drop the body. Bolt resets its loggers' levels, but keeps their filters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature detected"):
            record.msg, record.args = "Invalid request signature detected (body withheld)", ()
        return True


for _name in ("slack_bolt.AsyncRequestVerification", "slack_bolt.RequestVerification"):
    logging.getLogger(_name).addFilter(WithholdRejectedBodies())

SLASH_COMMAND = "/tally"
SHARE_TTL = 30 * 60.0
"""A shared reply lives as long as Slack keeps the response_url usable (30 minutes)."""
SHARE_CAPACITY = 1000
SORRY = "Something went wrong on our side; nothing was saved."
WEBHOOK_TIMEOUT = 10

Respond = Callable[..., Awaitable[None]]
"""`respond(response_type=..., text=..., blocks=..., ...)` bound to one response_url."""


class ResponseUrls:
    """Answers through response_urls over one connection pool: Bolt's respond() opens a new
    HTTP session (and TLS connection) for every answer."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def bind(self, url: str) -> Respond:
        async def respond(**message: Any) -> None:
            response = await AsyncWebhookClient(url=url, session=self._open()).send_dict(message)
            if response.status_code != 200:
                log.warning("response_url answered %s: %s", response.status_code, response.body)

        return respond

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class SharedReplies:
    """Read replies shown privately, kept so the Share button posts exactly what was seen."""

    def __init__(
        self,
        ttl: float = SHARE_TTL,
        capacity: int = SHARE_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._replies: OrderedDict[str, tuple[float, Reply]] = OrderedDict()

    def put(self, reply: Reply) -> str:
        key = uuid.uuid4().hex
        self._replies[key] = (self._clock() + self._ttl, reply)
        while len(self._replies) > self._capacity:
            self._replies.popitem(last=False)
        return key

    def get(self, key: str) -> Reply | None:
        entry = self._replies.get(key)
        if entry is None or entry[0] < self._clock():
            self._replies.pop(key, None)
            return None
        return entry[1]


def share_value(key: str, text: str) -> str:
    """Button value: the kept reply's key, and the command text to rerun if it is gone."""
    value = json.dumps({"k": key, "q": text}, ensure_ascii=False)
    return value if len(value) <= BUTTON_VALUE_LIMIT else json.dumps({"k": key})


class TallyCommands:
    """The adapter's whole job: Slack identity in, core reply out."""

    def __init__(
        self,
        core: Core,
        identity: SlackIdentity,
        shares: SharedReplies,
        replays: ReplayGuard | None = None,
    ) -> None:
        self.core = core
        self.identity = identity
        self.shares = shares
        self.replays = replays
        """HTTP mode: a signed request that would write is refused when seen before."""
        self.response_urls = ResponseUrls()
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Awaitable[None], name: str) -> None:
        """Run after the ack; kept referenced so it is neither collected nor lost on stop."""
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the work still running after its ack (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run_command(
        self,
        body: Mapping[str, Any],
        respond: Respond,
        client: AsyncWebClient,
        signed: Signed | None = None,
    ) -> None:
        try:
            text = decode_slack_text(str(body.get("text") or ""))
            asker = Asker.from_command(body)
            reply = await self.run_parsed(text, asker, client, signed=signed)
            if reply is None:
                return  # a replayed write: no effect, no answer
            if reply.attachments and reply.visibility is Visibility.PUBLIC:
                refused = await post_files(client, asker.channel_id or "", reply.attachments)
                if refused:
                    reply = Reply.error(refused)
            await self.answer(respond, reply, text)
        except Exception:
            log.exception("/tally failed")
            await _apologise(respond)

    async def run_parsed(
        self,
        text: str,
        asker: Asker,
        client: AsyncWebClient,
        *,
        reads_only: bool = False,
        signed: Signed | None = None,
    ) -> Reply | None:
        """Parse once: the command says whether Slack must be asked about the user's rights
        (users.info), then the same invocation runs; `reads_only` refuses a write. None: a
        write whose signed request was seen before (a replay), not run."""
        try:
            invocation = self.core.dispatcher.parse(text)
        except UserError as exc:
            return Reply.error(exc.message)
        needs_rights = invocation.command.moderator_only
        if reads_only and invocation.command.writes:
            return Reply.error("Only a read can be run again to share it.")
        replays = self.replays if invocation.command.writes else None
        if replays is not None and not await replays.first_sight(signed):
            return None
        actor = await self.identity.actor(client, asker, needs_rights)
        return await self.core.dispatcher.run_invocation(invocation, actor)

    async def answer(self, respond: Respond, reply: Reply, text: str) -> None:
        if reply.visibility is Visibility.PUBLIC:
            await respond(response_type="in_channel", **render(reply).payload())
            return
        # Only reads are shared: not an answer with buttons of its own (the review queue, the
        # moderator's), nor the private answer of a write (a suggestion sent).
        shareable = reply.ok and not reply.items and not self._writes(text)
        value = share_value(self.shares.put(reply), text) if shareable else None
        if reply.attachments:
            # Slack shows a file to the whole channel or to no one: a private read keeps its
            # files until the asker shares it.
            names = ", ".join(a.filename for a in reply.attachments)
            note = f"Share in channel to post {names} here: Slack files are seen by the channel."
            reply = dataclasses.replace(reply, context=(*reply.context, note))
        await respond(response_type="ephemeral", **render(reply, share_value=value).payload())

    def _writes(self, text: str) -> bool:
        try:
            return self.core.dispatcher.parse(text).command.writes
        except UserError:
            return False

    async def share(
        self, body: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        try:
            asker = Asker.from_action(body)
            reply = await self._shared_reply(body, asker, client)
            if reply is None:
                await respond(
                    response_type="ephemeral",
                    replace_original=False,
                    text="That answer has expired: run the command again to share it.",
                )
                return
            if reply.attachments:
                refused = await post_files(client, asker.channel_id or "", reply.attachments)
                if refused:
                    await respond(response_type="ephemeral", replace_original=False, text=refused)
                    return
            shared = dataclasses.replace(
                reply, context=(*reply.context, f"Shared by {asker.user_name}.")
            )
            await respond(
                response_type="in_channel", replace_original=False, **render(shared).payload()
            )
            await respond(delete_original=True)
        except Exception:
            log.exception("share failed")
            await _apologise(respond)

    async def _shared_reply(
        self, body: Mapping[str, Any], asker: Asker, client: AsyncWebClient
    ) -> Reply | None:
        actions = body.get("actions") or [{}]
        try:
            value = json.loads(actions[0].get("value") or "{}")
        except (ValueError, TypeError):
            return None
        reply = self.shares.get(str(value.get("k", "")))
        text = value.get("q")
        if reply is None and isinstance(text, str):
            # Kept replies are lost on restart: the same read, run again for the sharer.
            reply = await self.run_parsed(text, asker, client, reads_only=True)
        return reply if reply is not None and reply.ok else None


async def _apologise(respond: Respond) -> None:
    try:
        await respond(response_type="ephemeral", replace_original=False, text=SORRY)
    except Exception:
        log.exception("could not tell the user about a failure")


def build_app(
    core: Core,
    client: AsyncWebClient,
    signing_secret: str | None = None,
    identity: SlackIdentity | None = None,
    oauth: AsyncOAuthSettings | None = None,
) -> tuple[AsyncApp, TallyCommands]:
    """The Bolt app (HTTP mode verifies `signing_secret` and refuses a replayed write; Socket
    Mode passes None: its requests are not signed).

    A distributed app gives `oauth` (and a `client` without a token): Bolt then serves the
    install routes, authorizes each request with its workspace's token from the installation
    store (listeners get a client on that token), and removes a workspace's tokens on
    `app_uninstalled` and `tokens_revoked`. Authorize reads the workspace's bot token (one
    read) and keeps Slack's auth.test answer per token, so a request waits for Slack only the
    first time a token is seen, not before every ack; an uninstalled workspace has no token to
    find, so the kept answer never serves it."""
    authorize = None
    if oauth is not None and oauth.installation_store is not None:
        authorize = AsyncInstallationStoreAuthorize(
            logger=log,
            installation_store=oauth.installation_store,
            bot_only=True,
            cache_enabled=True,
        )
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        process_before_response=True,
        name="tallybot",
        oauth_settings=oauth,
        authorize=authorize,  # type: ignore[arg-type]  # Bolt takes an AsyncAuthorize too
    )
    if oauth is not None:
        app.enable_token_revocation_listeners()
    replays = None
    if signing_secret:
        app.use(KeepSignature())
        replays = ReplayGuard(core.store)
    commands = TallyCommands(
        core, identity or SlackIdentity(core.settings.slack_moderators), SharedReplies(), replays
    )

    @app.command(SLASH_COMMAND)
    async def on_tally(
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        await ack()
        respond = commands.response_urls.bind(str(body.get("response_url") or ""))
        work = commands.run_command(body, respond, client, context.get(SIGNED))
        commands.spawn(work, "slack /tally")

    suggestions = SuggestionActions(commands)

    @app.action(re.compile(f"^{re.escape(BUTTON_PREFIX)}"))
    async def on_suggestion_button(
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        await ack()
        respond = commands.response_urls.bind(str(body.get("response_url") or ""))
        commands.spawn(suggestions.pressed(body, respond, client), "slack suggestion button")

    @app.view(re.compile(f"^{re.escape(FORM_PREFIX)}"))
    async def on_suggestion_form(
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        await ack()
        commands.spawn(suggestions.submitted(body, client), "slack suggestion form")

    @app.action(SHARE_ACTION_ID)
    async def on_share(
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        await ack()
        respond = commands.response_urls.bind(str(body.get("response_url") or ""))
        commands.spawn(commands.share(body, respond, client), "slack share")

    return app, commands
