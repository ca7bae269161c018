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
from bot.tally_cache import TallyCache
from store.data_version import DataVersion
from store.runner import Store


@dataclass
class Core:
    settings: Settings
    store: Store
    dispatcher: Dispatcher
    version: DataVersion | None = None

    @classmethod
    def open(cls, settings: Settings, clock: Callable[[], datetime] = utc_now) -> Core:
        try:
            store = Store(settings.db_path, clock())
        except (sqlite3.DatabaseError, OSError) as exc:
            raise DatabaseUnusable(Path(settings.db_path), exc) from None
        version = DataVersion(settings.db_path)
        dispatcher = Dispatcher(store, COMMANDS, clock, TallyCache(version))
        # Alerts are written in each command's own transaction (the outbox), whoever runs it.
        dispatcher.event_writers.append(alert_writer(clock))
        return cls(settings, store, dispatcher, version)

    def close(self) -> None:
        self.store.close()
        if self.version:
            self.version.close()
