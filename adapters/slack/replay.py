"""Refuse a replayed Slack request in HTTP mode.

Bolt checks each request's signature and that its timestamp is within 5 minutes of now, but a
request captured in transit (or re-sent from a log) passes both checks again inside that
window. This middleware runs after Bolt's verification and records every (signature,
timestamp) in the database, one INSERT in one write transaction: a second sight of the same
pair fails on the primary key and is refused, in this process or any other process on the same
database. Rows expire when Bolt itself would refuse the timestamp, and are pruned as new ones
are written.

Socket Mode requests are not signed (they arrive over a websocket opened with the app token),
so there is nothing to replay there; the middleware is only installed in HTTP mode.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

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


class RefuseReplays(AsyncMiddleware):
    """A global Bolt middleware: added with `app.use`, it runs after AsyncRequestVerification
    and authorization, so only requests with a valid signature reach it."""

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

        if not await self.store.run(record):
            log.warning("refused a replayed Slack request (timestamp %s)", timestamp)
            return BoltResponse(status=401, body="")
        return await next()


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None
