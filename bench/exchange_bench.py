"""Export and import time of a tracker with 100,000 declarations (JSON and CSV), against a
1,000-declaration tracker measured in the same run (the ratio shows the cost per declaration
stays flat), plus `tallybot export` / `tallybot import` as new processes.

    .venv/bin/python -m bench.exchange_bench
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bench.trackers import OPERATOR, create_selection, load_random
from bot import exchange
from bot.app import Core
from bot.commands.catalog import COMMANDS
from bot.commands.context import Context
from bot.commands.exchange import export_file, import_roll_call
from bot.settings import Settings
from bot.storage import Transaction
from store.thread import as_sqlite
from tallybot.wiring import open_core

DECLARE = next(c for c in COMMANDS if c.key == "declare")
SIZES = (1_000, 100_000)
T = TypeVar("T")


def _load(core: Core, slug: str, count: int) -> None:
    """`count` declarations; 1% retracted and 1% amended, as a long-lived record would be."""
    load_random(core, slug, count, source="https://example.org/report")
    now = datetime.now(UTC)

    def extras(tx: Transaction) -> None:
        repo = as_sqlite(tx).records
        tracker = repo.tracker_by_slug(slug)
        assert tracker is not None
        rows = [
            r[0]
            for r in repo.db.execute(
                "SELECT id FROM declarations WHERE tracker_id = ?", [tracker.id]
            )
        ]
        for declaration_id in rows[::100]:
            repo.retract(declaration_id, "bench", "bench", now)
        repo.db["amendments"].insert_all(
            {
                "declaration_id": declaration_id,
                "changes": json.dumps({"speaker": "Minister"}),
                "recorded_by": "bench",
                "recorded_at": now.isoformat(),
            }
            for declaration_id in rows[50::100]
        )

    core.store.run_blocking(extras)


def _timed(work: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def _export(core: Core, slug: str, fmt: str) -> bytes:
    def work(tx: Transaction) -> bytes:
        ctx = Context(tx.records, tx.alerts, OPERATOR, datetime.now(UTC))
        return export_file(ctx, ctx.tracker(slug), fmt).content

    return core.store.run_blocking(work)


def _import_json(core: Core, data: bytes, slug: str) -> None:
    record = exchange.parse_json(data)
    now = datetime.now(UTC)
    core.store.run_blocking(lambda tx: tx.records.import_tracker_record(record, slug, "bench", now))


def _import_csv(core: Core, data: bytes, slug: str) -> int:
    create_selection(core, slug, f"Bench {slug}")

    def work(tx: Transaction) -> int:
        ctx = Context(tx.records, tx.alerts, OPERATOR, datetime.now(UTC))
        return import_roll_call(ctx, ctx.tracker(slug), data, DECLARE)[0]

    return core.store.run_blocking(work)


def _line(what: str, seconds: dict[int, float], size: dict[int, int] | None = None) -> None:
    small, big = SIZES
    per_small = seconds[small] / small * 1e6
    per_big = seconds[big] / big * 1e6
    extra = f", {size[big] / 2**20:.1f} MiB" if size else ""
    print(
        f"{what:<38} 100,000: {seconds[big]:6.2f} s{extra} | {per_big:5.1f} µs/decl "
        f"vs {per_small:5.1f} µs/decl at 1,000 (ratio {per_big / per_small:.2f})"
    )


def _cli(db: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tallybot", "--db", str(db), *args],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = open_core(Settings(db_path=Path(tmp) / "source.db"))
        target = open_core(Settings(db_path=Path(tmp) / "target.db"))
        started = time.perf_counter()
        for count in SIZES:
            _load(source, f"t{count}", count)
        print(f"loaded {sum(SIZES):,} declarations in {time.perf_counter() - started:.1f} s")
        results: dict[str, dict[int, float]] = {}
        sizes: dict[str, dict[int, int]] = {"json": {}, "csv": {}}
        files: dict[tuple[str, int], bytes] = {}
        for count in SIZES:
            slug = f"t{count}"
            for fmt in ("json", "csv"):
                seconds, data = _timed(lambda slug=slug, fmt=fmt: _export(source, slug, fmt))
                results.setdefault(f"export {fmt}", {})[count] = seconds
                sizes[fmt][count] = len(data)
                files[(fmt, count)] = data
            seconds, _ = _timed(lambda c=count: _import_json(target, files[("json", c)], f"j{c}"))
            results.setdefault("import json (new tracker)", {})[count] = seconds
            seconds, recorded = _timed(
                lambda c=count: _import_csv(target, files[("csv", c)], f"c{c}")
            )
            retracted = count // 100
            assert recorded == count - retracted, (recorded, count)
            results.setdefault("import csv roll-call (declare checks)", {})[count] = seconds
        _line("export json", results["export json"], sizes["json"])
        _line("export csv", results["export csv"], sizes["csv"])
        _line("import json (new tracker)", results["import json (new tracker)"])
        _line(
            "import csv roll-call (declare checks)",
            results["import csv roll-call (declare checks)"],
        )
        source.close()
        target.close()
        out = Path(tmp) / "big.json"
        export_s = _cli(Path(tmp) / "source.db", "export", "t100000", "--out", str(out))
        import_s = _cli(Path(tmp) / "fresh.db", "import", str(out))
        print(f"tallybot export t100000 --out (new process): {export_s:.2f} s")
        print(f"tallybot import big.json into a new database (new process): {import_s:.2f} s")


if __name__ == "__main__":
    main()
