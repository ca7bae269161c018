"""Where pictures are drawn: never on the event loop, nor on the store thread.

A reply's drawings run on a picture thread (building a timeline from 100,000 declarations is
pure Python: it yields the GIL every few milliseconds). The matplotlib part runs in the picture
process (bot/pictures/renderer.py): one process, started on the first picture and kept, so
pictures queue rather than take every core, and a crash in the renderer is one failed reply,
not a dead bot."""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.pictures.renderer import Renderer
from bot.replies import Attachment, Reply

T = TypeVar("T")
_lock = threading.Lock()
_thread: ThreadPoolExecutor | None = None
_renderer = Renderer()
atexit.register(_renderer.close)


def _picture_thread() -> ThreadPoolExecutor:
    global _thread
    with _lock:
        if _thread is None:
            _thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tallybot-pictures")
        return _thread


def render(renderer: Callable[..., bytes], *args: Any) -> bytes:
    """`renderer(*args)` in the picture process (a module-level function, picklable values).
    Called on the picture thread, its only caller: requests go one at a time."""
    return _renderer.call(renderer, *args)


async def on_picture_thread(work: Callable[[], T]) -> T:
    """`work()` on the picture thread (where `render` may be called), awaited from the loop."""
    return await asyncio.get_running_loop().run_in_executor(_picture_thread(), work)


async def draw_attachments(reply: Reply) -> Reply:
    """The reply with its drawings drawn and added to its attachments."""
    drawn: list[Attachment] = []
    for drawing in reply.drawings:
        drawn.append(await on_picture_thread(drawing))
    return dataclasses.replace(reply, attachments=(*reply.attachments, *drawn), drawings=())
