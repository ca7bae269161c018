"""One delivering process per database: an OS file lock beside the SQLite file.

Two processes draining the same outbox would both send a row before either marks it. The lock
is `flock`-based, so the kernel releases it when its holder dies, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO

# A platform check rather than try/except ImportError, so the type checker knows which holds.
if sys.platform == "win32":  # pragma: no cover - no cross-process guard on Windows
    fcntl = None
else:
    import fcntl


class DispatchLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @classmethod
    def beside(cls, db_path: str | Path) -> DispatchLock:
        return cls(Path(f"{db_path}.alerts.lock"))

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; False if another process holds it."""
        if self._file is not None:
            return True
        if fcntl is None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
