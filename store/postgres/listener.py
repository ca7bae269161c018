"""Store.version() on PostgreSQL: a counter moved by NOTIFY.

Every write transaction sends `pg_notify(channel, '')` before it commits (PostgreSQL delivers
it only if the commit happens). A daemon thread holds one connection of its own in autocommit,
LISTENs on the channel and bumps the counter per notification; reading the counter is a
Python attribute read, no round-trip, so the read cache and the alert wake-up can ask it as
often as they like. While the listener is not connected (starting, or the server went away)
every call returns a new number, so no cache serves an answer it cannot vouch for; it
reconnects with a growing pause and bumps once when it is back (commits in between were not
heard).
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

RECONNECT_FIRST = 0.1
RECONNECT_MAX = 5.0


def channel_name(schema: str) -> str:
    """One channel per schema: tests and deployments sharing a database stay apart."""
    return f"tallybot_{schema}"[:63]


class ChangeListener:
    def __init__(self, conninfo: str, channel: str) -> None:
        self._conninfo = conninfo
        self.channel = channel
        self.token = uuid.uuid4().hex
        """This store's notifications carry it: they were counted at commit (`bump`) already,
        so the echo is not counted again (a cache filled just after would be dropped)."""
        self._ticks = itertools.count(1)
        self._value = 0
        self.connected = False
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._listen, name="tallybot-listen", daemon=True)
        self._thread.start()

    def __call__(self) -> int:
        if not self.connected:
            return next(self._ticks)
        return self._value

    def bump(self) -> None:
        """A commit this process made: seen at once, before its own notification arrives."""
        self._value = next(self._ticks)

    def wait_connected(self, timeout: float) -> bool:
        """Whether the listener is connected, waiting up to `timeout` for it (start-up)."""
        return self._connected.wait(timeout) and self.connected

    def _listen(self) -> None:
        pause = RECONNECT_FIRST
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    self._conn = conn
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.bump()
                    self.connected = True
                    self._connected.set()
                    pause = RECONNECT_FIRST
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=0.5):
                            if notice.payload != self.token:
                                self.bump()
            except psycopg.Error as exc:
                if self._stop.is_set():
                    break
                if self.connected:
                    log.warning("database change listener lost its connection: %s", exc)
            finally:
                self._connected.clear()
                self.connected = False
                self._conn = None
            self._stop.wait(pause)
            pause = min(pause * 2, RECONNECT_MAX)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
