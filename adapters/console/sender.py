"""The console's alert channel: alerts for channel 'console' are printed to the terminal."""

from __future__ import annotations

import itertools
import sys
from typing import TextIO

from adapters.console.render import render_text
from bot.alerts.channels import ChannelRef
from bot.replies import Reply

CONSOLE_CHANNEL = ChannelRef("console", "local", "console")


class ConsoleSender:
    platform = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._ids = itertools.count(1)

    async def send(self, channel: ChannelRef, reply: Reply, key: str | None = None) -> str:
        """Print the alert; the 'message id' is a running number (the terminal accepts all)."""
        stream = self._stream or sys.stdout
        stream.write(f"\n🔔 alert for {channel.channel}\n{render_text(reply)}\n")
        stream.flush()
        return f"console-{next(self._ids)}"

    async def tell(self, workspace: str, user_id: str, reply: Reply) -> None:
        """A suggester's notice: printed, addressed to them (the console has one terminal)."""
        stream = self._stream or sys.stdout
        stream.write(f"\n📨 for {user_id}: {render_text(reply)}\n")
        stream.flush()
