"""The store on an asyncio loop: one worker thread owns the connection.

sqlite-utils is synchronous; running every unit of work on one thread keeps the event loop
free (Discord, Slack and the scheduler share it) and serialises writers without locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from store.database import open_database
from store.repository import Repository

T = TypeVar("T")


class Store:
    def __init__(self, path: str | Path, now: datetime) -> None:
        self.path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tallybot-db")
        self._repo = self._executor.submit(self._open, now).result()

    def _open(self, now: datetime) -> Repository:
        repo = Repository(open_database(self.path))
        with repo.db.atomic():
            repo.ensure_shipped_bodies(now)
        return repo

    async def run(self, work: Callable[[Repository], T]) -> T:
        """Run `work` on the store thread inside one transaction (rolled back if it raises)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_transaction, work)

    def run_blocking(self, work: Callable[[Repository], T]) -> T:
        """The same, from code that has no event loop (CLI set-up, benchmarks' loaders)."""
        return self._executor.submit(self._in_transaction, work).result()

    def _in_transaction(self, work: Callable[[Repository], T]) -> T:
        with self._repo.db.atomic():
            return work(self._repo)

    def close(self) -> None:
        self._executor.submit(self._repo.db.close).result()
        self._executor.shutdown(wait=True)
