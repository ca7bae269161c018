"""What the community checks cost: `/tally` and `/tally declare` latency, in process, for a
Slack moderator, with the code before communities (git BASELINE, extracted with `git archive`)
and the code of this tree, measured alternately in the same run. The read cache is off so
every `/tally` goes through the tenancy look-up and the store.

    .venv/bin/python -m bench.tenancy_bench
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

BASELINE = "e021952"
"""The last commit before communities."""
ROOT = Path(__file__).resolve().parents[1]
RUNS = 300
ROUNDS = 3

MEASURE = r"""
import asyncio, json, sys, tempfile, time
from pathlib import Path
from bot.commands.context import Actor
from bot.settings import Settings
from tallybot.wiring import open_core

RUNS = int(sys.argv[1])
MEMBERS = ["AL", "BE", "BG", "CA", "HR", "CZ", "DK", "EE", "FI", "FR", "DE", "GR"]


async def main() -> None:
    core = open_core(Settings(db_path=Path(tempfile.mkdtemp()) / "b.db"))
    core.dispatcher.cache = None
    mod = Actor("slack", "TB", "UB", "b", platform_moderator=True, channel="C1")
    run = core.dispatcher.run_text
    made = await run('/tally tracker new bench-b "B" kind=approval rule=unanimity body=nato '
                     'opened=2024-01-01', mod)
    assert made.ok, made.title
    out = {"tally": [], "declare": []}
    for i in range(RUNS):
        text = f"/tally declare {MEMBERS[i % len(MEMBERS)]} support date=2024-02-01"
        start = time.perf_counter()
        reply = await run(text, mod)
        out["declare"].append(time.perf_counter() - start)
        assert reply.ok, reply.title
        start = time.perf_counter()
        reply = await run("/tally", mod)
        out["tally"].append(time.perf_counter() - start)
        assert reply.ok, reply.title
    core.close()
    print(json.dumps(out))


asyncio.run(main())
"""


def _baseline_tree(target: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", BASELINE], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _measure(tree: Path) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "DISCORD_", "TALLYBOT_"))}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(RUNS)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    samples: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return samples


def main() -> None:
    from bench.stats import summary_ms

    with tempfile.TemporaryDirectory() as tmp:
        old = _baseline_tree(Path(tmp) / "baseline")
        before: dict[str, list[float]] = {"tally": [], "declare": []}
        after: dict[str, list[float]] = {"tally": [], "declare": []}
        for _ in range(ROUNDS):  # alternate, so drift on a shared machine hits both alike
            for key, values in _measure(old).items():
                before[key] += values
            for key, values in _measure(ROOT).items():
                after[key] += values
    import statistics

    for key in ("tally", "declare"):
        ratio = statistics.median(after[key]) / statistics.median(before[key])
        print(f"/tally {key if key != 'tally' else ''}".rstrip())
        print(f"  before communities ({BASELINE}): {summary_ms(before[key])}")
        print(f"  with communities:               {summary_ms(after[key])}")
        print(f"  ratio (median, after/before):   {ratio:.2f}")


if __name__ == "__main__":
    main()
