"""Read replies kept in memory, so a repeated /tally read does not wait for the database thread.

Most reads ask for the same few tallies over and over, and each trip to the store thread costs
more than the answer (a GIL hand-off each way). A reply is kept per (command, arguments, today):
the day is part of the key, so after midnight UTC a read never gets yesterday's "today", and a
read with `as_of=` a past day is kept like any other. Entries go:

- for this process's writes, through the dispatcher: a commit whose events name trackers drops
  those trackers' entries (and the entries read without a tracker name, since which tracker is
  "the only open one" may have changed); a write with no events drops everything;
- for every commit, this process's included, when the store's version changes (`version`, for
  SQLite `PRAGMA data_version` on a connection of its own, asked before each cached answer):
  the cache is emptied, so another process's write is seen at once.

The cache holds at most `size` replies (least recently used go first), so memory stays bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.events import DomainEvent
from bot.replies import Reply

CACHED_COMMANDS = frozenset({"tally", "position", "holdouts", "history"})
"""Reads whose reply depends only on their arguments, the day and the record (not on who
asks): the only ones kept."""
DEFAULT_SIZE = 256

Version = Callable[[], Hashable]
"""What changes whenever any process commits to the store."""


@dataclass(frozen=True)
class Entry:
    reply: Reply
    tracker_id: int | None
    """The tracker the reply was read from, for targeted invalidation."""
    named: bool
    """Whether the read named its tracker (if not, any tracker change may change the answer)."""


class TallyCache:
    def __init__(self, version: Version | None = None, size: int = DEFAULT_SIZE) -> None:
        self._version = version
        self._size = size
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._seen: Hashable = version() if version else None
        self._generation = 0
        """Bumped by every invalidation: a reply read before one is not stored after it."""

    def __len__(self) -> int:
        return len(self._entries)

    def key(
        self, command_key: str, args: Mapping[str, object], today: date, scope: Hashable = None
    ) -> Hashable | None:
        """The entry a read would use, or None for a command or arguments never cached.
        `scope` is who asks as far as the answer depends on it: the community (a workspace's
        membership only changes by a commit, which empties the cache)."""
        if command_key not in CACHED_COMMANDS:
            return None
        items = tuple(sorted(args.items()))
        try:
            hash(items)
        except TypeError:
            return None
        return (command_key, items, today, scope)

    def token(self) -> int:
        """Taken before a read goes to the store; `put` refuses it if anything changed since."""
        self._check_version()
        return self._generation

    def get(self, key: Hashable) -> Reply | None:
        self._check_version()
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry.reply

    def put(
        self, key: Hashable, token: int, reply: Reply, tracker_id: int | None, named: bool
    ) -> None:
        if token != self._generation or not reply.ok:
            return
        self._entries[key] = Entry(reply, tracker_id, named)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, events: Iterable[DomainEvent]) -> None:
        """After this process's write: drop what the events' trackers (or anything) changed."""
        trackers = {event.tracker_id for event in events}
        self._generation += 1
        if not trackers:
            self._entries.clear()
            return
        for key in [k for k, e in self._entries.items() if not e.named or e.tracker_id in trackers]:
            del self._entries[key]

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()

    def _check_version(self) -> None:
        if self._version is None:
            return
        try:
            seen = self._version()
        except Exception:
            seen = object()  # an unreadable version: trust nothing kept
        if seen != self._seen:
            self._seen = seen
            self.clear()
