"""The picture process: `python -m bot.pictures.renderer` reads pickled (renderer, args) frames
on stdin and answers each with a pickled (ok, PNG bytes or error text) frame on stdout.

A process of its own because Agg drawing and PNG encoding hold the GIL for tens of
milliseconds per call: in a thread of the bot they would stall every chat connection. A plain
child process, not multiprocessing: it never re-imports the bot's main module, and it ends when
the bot's end of the pipe closes. Frames come only from the bot that started the child."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import IO, Any

_HEADER = struct.Struct("!Q")
RENDER_TIMEOUT = 60.0
"""Seconds one picture may take (a 200-member card takes well under one)."""


class RendererFailed(RuntimeError):
    """The picture process answered with an error, or died."""


def send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other end closed the pipe")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other end closed the pipe mid-frame")
    return pickle.loads(data)


class Renderer:
    """The bot's handle on one picture process, started on first use and restarted if it dies.
    Not thread-safe: the single picture thread is its only caller."""

    def __init__(self, timeout: float = RENDER_TIMEOUT) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self.timeout = timeout

    def _start(self) -> subprocess.Popen[bytes]:
        root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        return subprocess.Popen(
            [sys.executable, "-m", "bot.pictures.renderer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def call(self, renderer: Any, *args: Any) -> bytes:
        for attempt in (1, 2):
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            process = self._process
            assert process.stdin is not None and process.stdout is not None
            # A picture that takes too long is stopped with its process (the next one starts
            # afresh) rather than holding every later picture behind it.
            expired = threading.Event()

            def expire(
                process: subprocess.Popen[bytes] = process, expired: threading.Event = expired
            ) -> None:
                expired.set()
                process.kill()

            watchdog = threading.Timer(self.timeout, expire)
            watchdog.start()
            try:
                send(process.stdin, (renderer, args))
                ok, value = receive(process.stdout)
            except (OSError, EOFError) as exc:
                self.close()
                if expired.is_set():
                    raise RendererFailed(f"no picture within {self.timeout:g} s") from exc
                if attempt == 2:
                    raise RendererFailed(f"the picture process died: {exc}") from exc
                continue
            finally:
                watchdog.cancel()
            if not ok:
                raise RendererFailed(value)
            return bytes(value)
        raise AssertionError("unreachable")

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def main() -> None:
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # anything printed by a library stays out of the frames
    while True:
        try:
            renderer, args = receive(requests)
        except EOFError:
            return
        try:
            send(answers, (True, renderer(*args)))
        except Exception:
            send(answers, (False, traceback.format_exc(limit=5)))


if __name__ == "__main__":
    main()
