"""The shared core every adapter talks to: the store, the command dispatcher and the settings.

A plain value: only the launcher (tallybot/wiring.py `open_core`) builds one, so the core never
chooses a store implementation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.dispatcher import Dispatcher
from bot.settings import Settings
from bot.storage import Store


@dataclass
class Core:
    settings: Settings
    store: Store
    dispatcher: Dispatcher

    def close(self) -> None:
        self.store.close()
