"""Alerts to Slack channels: chat.postMessage with the same Block Kit as interactive replies.

The alert dispatcher owns retries and backoff, so the client has no retry handler; each failure
is mapped to what the dispatcher should do about it. Importing this needs no Bolt app.

Errors about the message itself (REJECTED_ERRORS) will be answered the same way every time:
they become `Rejected` and the alert is set aside. Errors about the bot's token (invalid_auth,
token_revoked, account_inactive, not_authed...) stay `TransientFailure`: they hit every channel
alike and an operator fixes them, after which the waiting alerts should still go out, not be
dropped one by one. Unknown codes also stay transient (the dispatcher backs off).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import render
from adapters.slack.client import alert_client, error_code
from adapters.slack.files import post_files
from bot.alerts.channels import ChannelGone, ChannelRef, Rejected, RetryLater, TransientFailure
from bot.replies import Reply
from bot.settings import Settings

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0
DEFAULT_RETRY_AFTER = 1.0
GONE_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "access_denied",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)
REJECTED_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "too_many_contact_cards",
        "attachment_payload_limit_exceeded",
        "markdown_text_conflict",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_array_arg",
        "invalid_charset",
        "invalid_form_data",
        "invalid_json",
        "json_not_object",
        "invalid_post_type",
        "missing_post_type",
    }
)
"""chat.postMessage errors that the same message would get again: never worth a retry."""


TokenLookup = Callable[[str], Awaitable[str | None]]
"""A workspace (team id) -> its bot token, None when the app is not installed there."""


class WorkspaceClients:
    """A distributed app's alert clients: one per workspace, on that workspace's token (looked
    up at each send, so a reinstall's new token is used at once and an uninstall stops it)."""

    def __init__(self, lookup: TokenLookup, api_url: str) -> None:
        self.lookup = lookup
        self.api_url = api_url
        self._clients: dict[str, tuple[str, AsyncWebClient]] = {}

    async def client_for(self, workspace: str) -> AsyncWebClient | None:
        token = await self.lookup(workspace)
        if token is None:
            self._clients.pop(workspace, None)
            return None
        kept = self._clients.get(workspace)
        if kept is None or kept[0] != token:
            kept = self._clients[workspace] = (token, alert_client(token, self.api_url))
        return kept[1]


class SlackSender:
    """`AlertSender` for Slack: `send` returns the message ts.

    One workspace: every alert goes with `client` (SLACK_BOT_TOKEN). A distributed app gives
    `workspaces` instead, and each alert goes with its channel's workspace token."""

    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient | None,
        timeout: float = SEND_TIMEOUT,
        workspaces: WorkspaceClients | None = None,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.workspaces = workspaces

    async def _client_for(self, channel: ChannelRef) -> AsyncWebClient:
        if self.workspaces is None:
            assert self.client is not None, "a SlackSender needs a client or workspaces"
            return self.client
        try:
            async with asyncio.timeout(self.timeout):
                client = await self.workspaces.client_for(channel.workspace)
        except TimeoutError as exc:
            raise TransientFailure("slack: the workspace's token could not be read") from exc
        if client is None:
            raise ChannelGone(f"slack: the app is not installed in {channel.workspace}")
        return client

    async def send(self, channel: ChannelRef, reply: Reply, key: str | None = None) -> str:
        """Slack has no idempotency key for chat.postMessage: `key` is unused."""
        client = await self._client_for(channel)
        try:
            async with asyncio.timeout(self.timeout):
                response = await client.chat_postMessage(
                    channel=channel.channel, **render(reply).payload()
                )
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientFailure(f"slack unreachable: {type(exc).__name__}") from exc
        if reply.attachments:
            await self._post_files(client, channel, reply)
        return str(response["ts"])

    async def tell(self, workspace: str, user_id: str, reply: Reply) -> None:
        """A message to one person (chat.postMessage to a user id: the app's Messages tab)."""
        await self.send(ChannelRef(self.platform, workspace, user_id), reply)

    async def _post_files(self, client: AsyncWebClient, channel: ChannelRef, reply: Reply) -> None:
        """The alert's pictures (a milestone's card) after its message, by files upload v2.

        The message was accepted: a file Slack refuses is logged, never a reason to send the
        alert again."""
        try:
            async with asyncio.timeout(self.timeout):
                refused = await post_files(client, channel.channel, reply.attachments)
        except TimeoutError:
            refused = "the upload took too long"
        if refused:
            log.warning("alert to %s went without its picture: %s", channel, refused)


def _delivery_error(exc: SlackApiError) -> Exception:
    status = exc.response.status_code
    error = error_code(exc)
    if status == 429 or error == "ratelimited":
        return RetryLater(_retry_after(exc), f"slack rate limited: {error}")
    if error in GONE_ERRORS:
        return ChannelGone(f"slack: {error}")
    if error in REJECTED_ERRORS:
        return Rejected(error)  # the dispatcher says who rejected it
    return TransientFailure(f"slack: {error}")


def _retry_after(exc: SlackApiError) -> float:
    headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(value), 0.0) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def create_sender(settings: Settings, tokens: TokenLookup | None = None) -> SlackSender:
    """A sender from settings (no Bolt app): SLACK_BOT_TOKEN and SLACK_API_URL, or for a
    distributed app each workspace's token from `tokens` (the installation store)."""
    if tokens is not None:
        return SlackSender(None, workspaces=WorkspaceClients(tokens, settings.slack_api_url))
    if not settings.slack_bot_token:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    return SlackSender(alert_client(settings.slack_bot_token, settings.slack_api_url))
