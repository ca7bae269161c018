"""What `tallybot run` needs from each adapter it starts on the shared event loop."""

from __future__ import annotations

from typing import Protocol

from bot.alerts.channels import AlertSender


class Service(Protocol):
    name: str
    sender: AlertSender | None
    """How alerts reach this platform's channels (None if the adapter cannot post)."""

    async def wait(self) -> None:
        """Return when the service has stopped for good (it reconnects on its own before that)."""
        ...

    async def stop(self) -> None: ...


class ServiceFailed(Exception):
    """A platform refused the bot for good (a rejected token, a gateway that will not take it):
    `tallybot run` stops and prints this one sentence, exit status 1, no traceback."""
