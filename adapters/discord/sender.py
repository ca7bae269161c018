"""Alerts into Discord channels through discord.py's HTTP client (and its rate limiter).

Failures are mapped to what the alert dispatcher acts on: 429 -> RetryLater (discord.py sleeps
through short limits itself and raises RateLimited past 30 s), 5xx/timeout/connection errors ->
TransientFailure, 403/404 -> ChannelGone, any other 4xx (400 Invalid Form Body, 413...) ->
Rejected: Discord would refuse the same message again, so it is set aside rather than retried.
401 (the bot token is no longer valid) stays TransientFailure: it hits every channel alike and an
operator fixes it, after which the waiting alerts should still go out.
Mentions never ping: AllowedMentions.none().
"""

from __future__ import annotations

import asyncio
import io
import logging

import aiohttp
import discord

from adapters.discord.render import NO_MENTIONS, reply_embed
from bot.alerts.channels import ChannelGone, ChannelRef, Rejected, RetryLater, TransientFailure
from bot.replies import Reply
from bot.settings import Settings

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 15.0
DEFAULT_RETRY_AFTER = 5.0


class DiscordSender:
    """AlertSender for Discord: posts one embed to a channel id, returns the message id."""

    platform = "discord"

    def __init__(
        self,
        client: discord.Client,
        *,
        timeout: float = SEND_TIMEOUT_SECONDS,
        ready: asyncio.Event | None = None,
        owns_client: bool = False,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self._ready = ready
        self._owns_client = owns_client

    async def send(self, channel: ChannelRef, reply: Reply, key: str | None = None) -> str:
        """With `key`, the message carries it as nonce with enforce_nonce: if Discord already
        accepted this alert (a send that timed out, a crash before the mark), it answers with
        that message instead of posting again, for as long as Discord keeps nonces (minutes)."""
        if channel.platform != self.platform:
            raise ValueError(f"not a Discord channel: {channel}")
        try:
            channel_id = int(channel.channel)
        except ValueError:
            raise ChannelGone(f"not a Discord channel id: {channel.channel!r}") from None
        try:
            return await asyncio.wait_for(self._post(channel_id, reply, key), self.timeout)
        except discord.RateLimited as exc:
            raise RetryLater(exc.retry_after) from None
        except discord.Forbidden as exc:
            raise ChannelGone(f"forbidden in channel {channel_id} ({exc.code})") from None
        except discord.NotFound as exc:
            raise ChannelGone(f"channel {channel_id} not found ({exc.code})") from None
        except discord.DiscordServerError as exc:
            raise TransientFailure(f"Discord answered HTTP {exc.status}") from None
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise RetryLater(_retry_after(exc)) from None
            if exc.status >= 500:
                raise TransientFailure(f"Discord answered HTTP {exc.status}") from None
            if exc.status == 401:
                raise TransientFailure("Discord refused the bot token (HTTP 401)") from None
            if 400 <= exc.status < 500:
                raise Rejected(_refusal(exc)) from None
            raise
        except TimeoutError:
            raise TransientFailure(f"no answer from Discord within {self.timeout:.0f}s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransientFailure(f"connection to Discord failed: {type(exc).__name__}") from None

    async def _post(self, channel_id: int, reply: Reply, key: str | None) -> str:
        if self._ready is not None and not self._ready.is_set():
            await self._ready.wait()
        target = self.client.get_partial_messageable(channel_id)
        files = [
            discord.File(io.BytesIO(a.content), filename=a.filename) for a in reply.attachments
        ]
        # discord.py's overloads of send() omit None for nonce; the implementation takes it
        # (and sends a random nonce), which is what a row without a key wants.
        message = await target.send(
            embed=reply_embed(reply),
            allowed_mentions=NO_MENTIONS,
            nonce=key,  # type: ignore[arg-type]
            files=files,
        )
        return str(message.id)

    async def tell(self, workspace: str, user_id: str, reply: Reply) -> None:
        """A direct message to one user (a suggester, the outcome): their DM channel first."""
        if self._ready is not None and not self._ready.is_set():
            await self._ready.wait()
        channel = await self.client.create_dm(discord.Object(int(user_id)))
        await asyncio.wait_for(
            channel.send(embed=reply_embed(reply), allowed_mentions=NO_MENTIONS), self.timeout
        )

    async def close(self) -> None:
        if self._owns_client:
            await self.client.close()


async def create_sender(
    settings: Settings, *, timeout: float = SEND_TIMEOUT_SECONDS
) -> DiscordSender:
    """A standalone sender (REST login, no gateway); close() it when done."""
    from adapters.discord.client import TallyClient

    if not settings.discord_token:
        raise ValueError("DISCORD_TOKEN is not set")
    client = TallyClient(None, None, settings, rest_only=True)
    try:
        await client.login(settings.discord_token)
    except BaseException:
        await client.close()
        raise
    return DiscordSender(client, timeout=timeout, owns_client=True)


def _refusal(exc: discord.HTTPException) -> str:
    """'HTTP 400 (code 50035): Invalid Form Body...', short enough for the outbox's last_error."""
    detail = f": {exc.text}" if exc.text else ""
    return f"HTTP {exc.status} (code {exc.code}){detail}"[:300]


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
