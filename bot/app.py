"""The shared core every adapter talks to: the store, the command dispatcher and the clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.alerts.outbox import alert_writer
from bot.commands.catalog import COMMANDS
from bot.commands.dispatcher import Dispatcher, utc_now
from bot.errors import DatabaseUnusable
from bot.settings import Settings
from store.runner import Store


@dataclass
class Core:
    settings: Settings
    store: Store
    dispatcher: Dispatcher

    @classmethod
    def open(cls, settings: Settings, clock: Callable[[], datetime] = utc_now) -> Core:
        try:
            store = Store(settings.db_path, clock())
        except (sqlite3.DatabaseError, OSError) as exc:
            raise DatabaseUnusable(Path(settings.db_path), exc) from None
        dispatcher = Dispatcher(store, COMMANDS, clock)
        dispatcher.public_url = settings.public_url
        # Alerts are written in each command's own transaction (the outbox), whoever runs it.
        dispatcher.event_writers.append(alert_writer(clock))
        return cls(settings, store, dispatcher)

    def close(self) -> None:
        self.store.close()
