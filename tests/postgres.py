"""A fresh PostgreSQL schema per test, in the database TALLYBOT_TEST_POSTGRES_URL names.

Each store gets a URL whose search_path is its own schema (created before, dropped after), so
tests and test runs sharing one database never see each other's tables or notifications.
Schemas are named TALLYBOT_TEST_SCHEMA_PREFIX (default `tallybot_test_`) plus a random tag.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

URL_VARIABLE = "TALLYBOT_TEST_POSTGRES_URL"
SKIP_REASON = f"{URL_VARIABLE} is not set: no PostgreSQL server to test against"


def server_url() -> str | None:
    return os.environ.get(URL_VARIABLE) or None


def require_server() -> str:
    url = server_url()
    if url is None:
        pytest.skip(SKIP_REASON)
    return url


def with_schema(url: str, schema: str) -> str:
    """`url` with its search_path set to `schema` (libpq's `options`)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}', safe='')}"


@contextlib.contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL on a new empty schema, dropped with everything in it afterwards."""
    import psycopg
    from psycopg import sql

    prefix = os.environ.get("TALLYBOT_TEST_SCHEMA_PREFIX", "tallybot_test_")
    schema = f"{prefix}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
