"""The shared core every adapter talks to: the store, the command dispatcher and the settings.

A plain value: only the launcher (tallybot/wiring.py `open_core`) builds one, so the core never
chooses a store implementation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands.dispatcher import Dispatcher
from bot.settings import Settings

if TYPE_CHECKING:
    from store.runner import Store  # becomes bot.storage.Store with the storage contract


@dataclass
class Core:
    settings: Settings
    store: Store
    dispatcher: Dispatcher

    def close(self) -> None:
        self.store.close()
