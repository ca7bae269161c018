"""Whether anyone committed to the database: `PRAGMA data_version` on a connection of its own.

The in-memory read cache (bot.tally_cache) asks this before each answer it serves. The
connection does nothing else, so every commit (another process's, or this process's store
thread's) changes the number it reads. One tiny query per read rather than a poll every N ms:
it costs microseconds on the event loop (WAL readers take no lock that waits), and a reader
never sees an answer older than the last commit.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class DataVersion:
    def __init__(self, path: str | Path) -> None:
        # Opened on one thread, then asked only from the event loop's: never two at once.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)

    def __call__(self) -> int:
        row = self._db.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def close(self) -> None:
        self._db.close()
