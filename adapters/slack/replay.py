"""Refuse a replayed Slack request in HTTP mode.

Bolt checks each request's signature and that its timestamp is within 5 minutes of now, but a
request captured in transit (or re-sent from a log) passes both checks again inside that
window. This middleware runs after Bolt's verification and records every (signature,
timestamp) in the database, one INSERT in one write transaction: a second sight of the same
pair fails on the primary key and the request is ignored (acked 200, nothing done), in this
process or any other process on the same database. Rows expire when Bolt itself would refuse
the timestamp, and are pruned as new ones are written.

Socket Mode requests are not signed (they arrive over a websocket opened with the app token),
so there is nothing to replay there; the middleware is only installed in HTTP mode.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.storage import Store, Transaction

log = logging.getLogger(__name__)

BOLT_WINDOW = timedelta(minutes=5)
"""Bolt's SignatureVerifier refuses a timestamp further than this from now."""
CLOCK_MARGIN = timedelta(minutes=1)
"""Kept a little longer, in case this host's clock is behind the one that checked."""


def now_utc() -> datetime:
    return datetime.now(UTC)


FRESH = "tallybot_fresh"
"""The context key of the replay check's result (a future of bool: True = first sight)."""


class RefuseReplays(AsyncMiddleware):
    """A global Bolt middleware: added with `app.use`, it runs after AsyncRequestVerification
    and authorization, so only requests with a valid signature reach it.

    It starts the check and lets the request through at once: the ack never waits for the
    database (a busy one must not cost Slack's 3-second budget). The listener's work, which
    runs after the ack, awaits the check first (`unless_replayed`) and does nothing for a
    replay: Slack gets its usual empty 200, and nothing is written or answered."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = now_utc) -> None:
        self.store = store
        self.clock = clock

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        signature = _header(req, "x-slack-signature")
        stamp = _header(req, "x-slack-request-timestamp")
        if signature is None or stamp is None or not stamp.isdigit():
            return await next()  # not signed (Socket Mode): Bolt decided already
        timestamp = int(stamp)
        expires = datetime.fromtimestamp(timestamp, UTC) + BOLT_WINDOW + CLOCK_MARGIN
        now = self.clock()

        def record(tx: Transaction) -> bool:
            return tx.guards.first_sight(signature, timestamp, expires, now)

        check = asyncio.ensure_future(self.store.run(record))
        check.add_done_callback(_retrieve)
        req.context[FRESH] = check
        return await next()


async def unless_replayed(context: Mapping[str, Any], work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` unless the request was seen before (or its check failed: refuse, not risk a
    second write)."""
    check = context.get(FRESH)
    if check is not None:
        try:
            fresh = await check
        except Exception:
            log.exception("could not check a Slack request for replay; ignored it")
            return
        if not fresh:
            log.warning("ignored a replayed Slack request (same signature and timestamp)")
            return
    await work()


def _retrieve(check: asyncio.Future[bool]) -> None:
    """A request no listener took (nothing awaits its check) must not leave an exception
    unretrieved."""
    if not check.cancelled():
        check.exception()


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None
