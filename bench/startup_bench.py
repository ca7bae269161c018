"""`tallybot exec` start-up against a bare interpreter start, measured in the same run.

Runs `LAUNCHER exec "/tally help"` and `LAUNCHER exec "/tally trackers"` (on a small SQLite
file holding the demo tracker) and `python -c pass`, interleaved so a busy machine slows all
three alike, and prints median and p90 wall time and the ratio to the bare start (goal: within
6x). Then `python -X importtime` on the help path, parsed: where the import time goes, by
package and by import, so whoever trims the start-up sees what to cut.

LAUNCHER is `python -m tallybot` when that package exists, else `python -m adapters.cli`;
`--launcher "python -m something"` picks another (the word `python` is this interpreter).

    .venv/bin/python -m bench.startup_bench [--runs 30] [--launcher "python -m tallybot"]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.launcher import parse_launcher, shown
from bench.stats import percentile

REPO = Path(__file__).resolve().parents[1]
GOAL_RATIO = 6.0
IMPORTTIME_RUNS = 5
TOP = 12
BUDGET_SECONDS = 90.0
"""Timed runs stop early past this, so the bench stays under two minutes on a busy machine."""
COMMANDS = ("/tally help", "/tally trackers")


def bench_env(db: Path) -> dict[str, str]:
    """This environment without chat tokens (a developer's .env cannot reach real services)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "TALLYBOT_", "PYTHON"))
    }
    env["TALLYBOT_DB"] = str(db)
    return env


def run_once(argv: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=REPO)
    return time.perf_counter() - start


def load_demo(launcher: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([*launcher, "demo"], capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(launcher)} demo` failed:\n{done.stdout}{done.stderr}")


# -- import time ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Import:
    module: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str
    """The module whose import pulled this one in first ('' at the top)."""


def parse_importtime(stderr: str) -> list[Import]:
    """`-X importtime` lines, children printed before their parent: attach each to it."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
        stripped = name.lstrip(" ")
        depth = (len(name) - len(stripped) - 1) // 2
        rows.append((stripped.strip(), int(self_us), int(cumulative_us), depth))
    imports: list[Import] = []
    for i, (module, self_us, cumulative_us, depth) in enumerate(rows):
        parent = next((r[0] for r in rows[i + 1 :] if r[3] < depth), "")
        imports.append(Import(module, self_us, cumulative_us, depth, parent))
    return imports


def importtime_profile(argv: Sequence[str], env: dict[str, str], runs: int) -> list[list[Import]]:
    """`runs` parsed -X importtime traces of `argv` (a `python ...` command)."""
    traced = [argv[0], "-X", "importtime", *argv[1:]]
    traces = []
    for _ in range(runs):
        done = subprocess.run(traced, capture_output=True, text=True, env=env, cwd=REPO)
        traces.append(parse_importtime(done.stderr))
    return traces


def _median_by(traces: list[list[Import]], key: str) -> dict[str, float]:
    """Per name, the median over traces of the summed microseconds (0 where absent)."""
    per_trace: list[dict[str, float]] = []
    for trace in traces:
        totals: dict[str, float] = defaultdict(float)
        for item in trace:
            if key == "package":
                totals[item.module.split(".")[0]] += item.self_us
            else:
                totals[item.module] = item.cumulative_us
        per_trace.append(totals)
    names = {name for totals in per_trace for name in totals}
    return {n: statistics.median(t.get(n, 0.0) for t in per_trace) for n in names}


def print_importtime(traces: list[list[Import]], top: int) -> None:
    totals = [sum(i.self_us for i in trace) for trace in traces]
    print(
        f"import time on this path (-X importtime, median of {len(traces)} runs): "
        f"{statistics.median(totals) / 1000:.1f} ms in {len(traces[0])} modules"
    )
    print("  by top-level package (self time of all its modules):")
    for name, us in sorted(_median_by(traces, "package").items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {us / 1000:7.1f} ms  {name}")
    parents = {i.module: i.parent for i in traces[0]}
    print("  heaviest imports (cumulative, with what pulled each in first):")
    heavy = sorted(_median_by(traces, "module").items(), key=lambda kv: -kv[1])
    shown = 0
    for name, us in heavy:
        if name.split(".")[0] in ("encodings", "site", "runpy"):
            continue
        chain = [name]
        while parents.get(chain[-1]):
            chain.append(parents[chain[-1]])
        print(f"    {us / 1000:7.1f} ms  {' <- '.join(chain[:4])}{' ...' * (len(chain) > 4)}")
        shown += 1
        if shown == top:
            break


# -- main -------------------------------------------------------------------------------------
def summary(label: str, samples: list[float], base: float) -> str:
    median = statistics.median(samples)
    return (
        f"  {label:<34} median {median * 1000:7.1f} ms   p90 {percentile(samples, 90) * 1000:7.1f}"
        f" ms   ratio {median / base:5.1f}x   (n={len(samples)})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.startup_bench")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each command")
    parser.add_argument("--launcher", help='e.g. "python -m tallybot" (default: found)')
    parser.add_argument("--top", type=int, default=TOP, help="rows in each import table")
    args = parser.parse_args(argv if argv is not None else [])
    launcher = parse_launcher(args.launcher)
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(Path(tmp) / "small.db")
        load_demo(launcher, env)
        bare = [sys.executable, "-c", "pass"]
        commands = {"python -c pass": bare} | {
            f"exec {text!r}": [*launcher, "exec", text] for text in COMMANDS
        }
        for command in commands.values():  # warm the file cache and the .pyc files
            run_once(command, env)
        samples: dict[str, list[float]] = {label: [] for label in commands}
        started = time.perf_counter()
        for _ in range(args.runs):
            for label, command in commands.items():
                samples[label].append(run_once(command, env))
            if time.perf_counter() - started > BUDGET_SECONDS:
                break
        print(
            f"start-up, {shown(launcher)}"
            f" (interleaved with python -c pass; demo db; goal: within {GOAL_RATIO:g}x)"
        )
        base = statistics.median(samples["python -c pass"])
        for label, values in samples.items():
            print(summary(label, values, base))
        worst = max(statistics.median(v) for v in samples.values()) / base
        print(
            f"  worst ratio to a bare start: {worst:.1f}x "
            f"({'meets' if worst <= GOAL_RATIO else 'misses'} the {GOAL_RATIO:g}x goal)"
        )
        print_importtime(
            importtime_profile([*launcher, "exec", COMMANDS[0]], env, IMPORTTIME_RUNS), args.top
        )


if __name__ == "__main__":
    main(sys.argv[1:])
