"""Refuse a replayed Slack request that would write (HTTP mode).

Bolt checks each request's signature and that its timestamp is within 5 minutes of now, but a
request captured in transit (or re-sent from a log) passes both checks again inside that
window. Every signed request that would change the record is therefore recorded in the
database, (signature, timestamp), one INSERT in one write transaction, before the command
runs: a second sight of the same pair fails on the primary key and the request is ignored
(acked 200 as usual, nothing written, nothing answered), in this process or any other on the
same database. Rows expire when Bolt itself would refuse the timestamp and are pruned as new
ones are written.

Reads are not recorded: a replayed read can only post the same answer again to the captured
request's response_url, which whoever holds the request can already post to; recording them
would cost a write per read and empty the read cache at every request (bench.slack_bench:
0.29x the bare app's throughput instead of 0.75x when every request was recorded).

Socket Mode requests are not signed (they arrive over a websocket opened with the app token),
so there is nothing to replay there: no middleware, no check.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
SIGNED = "tallybot_signed"
"""The Bolt context key of a verified request's `Signed`."""


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Signed:
    """What identifies one signed request: Slack signs `v0:{timestamp}:{body}`."""

    signature: str
    timestamp: int


class KeepSignature(AsyncMiddleware):
    """A global Bolt middleware: added with `app.use`, it runs after AsyncRequestVerification
    (and authorization), so what it keeps belongs to a request whose signature was valid. It
    touches no database: the ack never waits for one."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        signature = _header(req, "x-slack-signature")
        stamp = _header(req, "x-slack-request-timestamp")
        if signature is not None and stamp is not None and stamp.isdigit():
            req.context[SIGNED] = Signed(signature, int(stamp))
        return await next()


class ReplayGuard:
    def __init__(self, store: Store, clock: Callable[[], datetime] = now_utc) -> None:
        self.store = store
        self.clock = clock

    async def first_sight(self, signed: Signed | None) -> bool:
        """Record the request; False if it was seen before (by any process)."""
        if signed is None:
            return True
        expires = datetime.fromtimestamp(signed.timestamp, UTC) + BOLT_WINDOW + CLOCK_MARGIN
        now = self.clock()

        def record(tx: Transaction) -> bool:
            return tx.guards.first_sight(signed.signature, signed.timestamp, expires, now)

        if await self.store.run(record):
            return True
        log.warning("ignored a replayed Slack request (same signature and timestamp)")
        return False


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None
