"""`tallybot db copy` time from an SQLite file to PostgreSQL with a tracker of 100,000
declarations (and their alert events), against one of 1,000 measured in the same run: the
ratio per row shows the cost stays flat. Needs TALLYBOT_TEST_POSTGRES_URL (each size copies
into a fresh schema, dropped after).

    TALLYBOT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1/test \\
        .venv/bin/python -m bench.copy_bench
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote

from bench.trackers import load_random
from bot.settings import Settings
from store.copy import CopyReport, copy_to_postgres
from tallybot.wiring import open_core

SIZES = (1_000, 100_000)


def _copy(url: str, source: Path) -> tuple[float, CopyReport]:
    import psycopg

    prefix = os.environ.get("TALLYBOT_TEST_SCHEMA_PREFIX", "tallybot_bench_")
    schema = f"{prefix}copy_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
    separator = "&" if "?" in url else "?"
    target = f"{url}{separator}options={quote(f'-csearch_path={schema}', safe='')}"
    try:
        started = time.perf_counter()
        report = copy_to_postgres(source, target, date.today())
        return time.perf_counter() - started, report
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE'.encode())


def main() -> None:
    url = os.environ.get("TALLYBOT_TEST_POSTGRES_URL")
    if not url:
        print("copy: skipped (TALLYBOT_TEST_POSTGRES_URL is not set)")
        return
    results: list[tuple[int, float, CopyReport]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            source = Path(tmp) / f"copy-{size}.db"
            core = open_core(Settings(db_path=source))
            try:
                load_random(core, "bench", size)
            finally:
                core.close()
            seconds, report = _copy(url, source)
            assert report.same
            results.append((size, seconds, report))
    base_size, base_seconds, base_report = results[0]
    base_per_row = base_seconds / base_report.rows
    for size, seconds, report in results:
        per_row = seconds / report.rows
        print(
            f"copy {size:>7,} declarations: {report.rows:>7,} rows in {seconds:6.2f} s "
            f"({report.rows / seconds:>9,.0f} rows/s, {len(report.tallies)} tallies checked); "
            f"per row {per_row / base_per_row:4.2f}x the {base_size:,}-declaration copy"
        )


if __name__ == "__main__":
    main()
