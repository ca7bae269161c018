"""The numbered migrations (store.schema.STEPS) on PostgreSQL, applied once however many
processes start together: each takes a transaction-scoped advisory lock keyed by the schema
before it looks at what is applied, so the first one migrates and the others find it done. DDL
is transactional on PostgreSQL: a failing step leaves nothing half made."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import psycopg

from store.schema import STEPS, Migration

log = logging.getLogger(__name__)

MIGRATIONS_TABLE = "tallybot_migrations"


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply pending steps in one transaction on `conn` (autocommit); their names."""
    with conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock("
            "hashtextextended('tallybot migrate ' || current_schema(), 0))"
        )
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
            "name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
        pending = [step for step in STEPS if step.__name__ not in applied]
        migration = Migration("postgres", lambda statement: conn.execute(statement.encode()))
        for step in pending:
            log.info("migrating %s", step.__name__)
            step(migration)
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (%s, %s)",
                [step.__name__, datetime.now(UTC).isoformat()],
            )
    return [step.__name__ for step in pending]
