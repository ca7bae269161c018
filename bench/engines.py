"""The engines a bench compares in one run: an SQLite file in a temporary directory and, when a
server is named (--postgres URL or TALLYBOT_TEST_POSTGRES_URL), a throwaway PostgreSQL schema
on it (created for the bench, dropped after with everything in it)."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

SCHEMA_PREFIX = "t_mp_bench_"


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TALLYBOT_TEST_POSTGRES_URL"),
        help="a postgresql:// URL (default: TALLYBOT_TEST_POSTGRES_URL); without it, SQLite only",
    )


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """`url` with its search_path on a new schema, dropped afterwards."""
    import psycopg
    from psycopg import sql

    schema = f"{SCHEMA_PREFIX}{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}options={quote(f'-csearch_path={schema}', safe='')}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@contextlib.contextmanager
def engine(name: str, postgres: str | None) -> Iterator[str]:
    """TALLYBOT_DB for `name` ("SQLite" or "PostgreSQL"): a fresh file path or schema URL."""
    if name == "SQLite":
        with tempfile.TemporaryDirectory(prefix="engines-bench-") as tmp:
            yield str(Path(tmp) / "bench.db")
    else:
        assert postgres is not None
        with postgres_schema(postgres) as url:
            yield url


def engine_names(postgres: str | None) -> list[str]:
    if postgres is None:
        print("PostgreSQL: not measured (no --postgres URL or TALLYBOT_TEST_POSTGRES_URL)")
        return ["SQLite"]
    return ["SQLite", "PostgreSQL"]


def db_setting(database: str) -> Path | str:
    """TALLYBOT_DB as Settings holds it: a Path for a file, the text for a URL."""
    return database if database.startswith("postgres") else Path(database)
