"""Where pictures are drawn: one thread of their own, never the event loop's nor the store's.

Drawing a card takes a CPU-bound fraction of a second; on the loop it would stall every chat
connection, on the store thread every other command. One thread also bounds the CPU pictures
take when many are asked at once (they queue)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.replies import Attachment, Reply

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tallybot-pictures")
        return _executor


async def draw_attachments(reply: Reply) -> Reply:
    """The reply with its drawings drawn and added to its attachments."""
    loop = asyncio.get_running_loop()
    drawn: list[Attachment] = []
    for drawing in reply.drawings:
        drawn.append(await loop.run_in_executor(executor(), drawing))
    return dataclasses.replace(reply, attachments=(*reply.attachments, *drawn), drawings=())
