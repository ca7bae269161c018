"""What a unit of work sees, on either engine: the repositories on the one connection of its
transaction, so records and alert rows commit together (bot.storage.Transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from bot.storage import Transaction
from store.alerts import AlertRepository
from store.feeds import FeedRepository
from store.guards import GuardRepository
from store.installations import InstallationRepository
from store.repository import Repository
from store.sql import Db
from store.suggestions import SuggestionRepository


@dataclass(frozen=True)
class StoreTransaction:
    records: Repository
    alerts: AlertRepository

    @classmethod
    def on(cls, db: Db) -> StoreTransaction:
        return cls(Repository(db), AlertRepository(db))

    @property
    def db(self) -> Db:
        """The connection itself (tests and bulk loaders that read the tables directly)."""
        return self.records.db

    @cached_property
    def installations(self) -> InstallationRepository:
        """A distributed Slack app's installations, on the same connection."""
        return InstallationRepository(self.records.db)

    @property
    def guards(self) -> GuardRepository:
        return GuardRepository(self.records.db)

    @property
    def feeds(self) -> FeedRepository:
        """The news feeds a community reads and the items they have given, on the same
        connection."""
        return FeedRepository(self.records.db)

    @property
    def suggestions(self) -> SuggestionRepository:
        """Readers' suggestions waiting for review, on the same connection."""
        return SuggestionRepository(self.records.db)


def as_store(tx: Transaction) -> StoreTransaction:
    """The store classes behind a unit of work, for code that knows it runs on store/ (tests
    that read the tables themselves, benches' bulk loaders); never for bot/ or adapters/."""
    if not isinstance(tx, StoreTransaction):
        raise TypeError(f"not a store transaction: {type(tx).__name__}")
    return tx
