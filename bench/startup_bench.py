"""`tallybot exec` start-up against a bare interpreter start, measured in the same run.

Runs `LAUNCHER exec "/tally help"` and `LAUNCHER exec "/tally trackers"` (on a small SQLite
file holding the demo tracker) and `python -c pass`, interleaved so a busy machine slows all
alike, and prints median and p90 wall time and the ratio to the bare start (goal: within 6x).
The bare start is this venv's interpreter, site and .pth files included (tallybot pays them
too); `python -S -c pass` is shown for scale only. Then `python -X importtime` on the help
path, parsed, less what a bare start imports: where the import time goes, by package, by
module and by import chain, so whoever trims the start-up sees what to cut.

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
TOP = 10
BUDGET_SECONDS = 90.0
"""Timed runs stop early past this, so the bench stays under two minutes on a busy machine."""
COMMANDS = ("/tally help", "/tally trackers")
NO_SITE = "python -S -c pass (for scale)"
"""No site module, so not the venv's .pth files either: what the interpreter alone costs."""


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


def _root(module: str) -> str:
    return module.split(".")[0]


def _median_by(traces: list[list[Import]], key: str) -> dict[str, float]:
    """Per name, the median over traces of the microseconds (0 where absent): summed self time
    per top-level package, or per module its self or cumulative time."""
    per_trace: list[dict[str, float]] = []
    for trace in traces:
        totals: dict[str, float] = defaultdict(float)
        for item in trace:
            if key == "package":
                totals[_root(item.module)] += item.self_us
            elif key == "self":
                totals[item.module] = item.self_us
            else:
                totals[item.module] = item.cumulative_us
        per_trace.append(totals)
    names = {name for totals in per_trace for name in totals}
    return {n: statistics.median(t.get(n, 0.0) for t in per_trace) for n in names}


def _heaviest(values: dict[str, float], top: int) -> list[tuple[str, float]]:
    return sorted(values.items(), key=lambda kv: -kv[1])[:top]


def _chain(module: str, parents: dict[str, str]) -> str:
    chain = [module]
    while parents.get(chain[-1]) and len(chain) < 5:
        chain.append(parents[chain[-1]])
    return " <- ".join(chain[:4]) + (" ..." if len(chain) > 4 else "")


def print_importtime(traces: list[list[Import]], bare: set[str], top: int) -> None:
    """Three tables of the imports a bare start does not pay: by package, by module's own
    time, and by cumulative time with what pulled each module in."""
    kept = [[i for i in trace if i.module not in bare] for trace in traces]
    totals = [sum(i.self_us for i in trace) for trace in kept]
    print(
        f"import time on top of a bare start (-X importtime, median of {len(traces)} runs): "
        f"{statistics.median(totals) / 1000:.1f} ms in {len(kept[0])} modules "
        f"(the {len(bare)} that `python -c pass` imports left out)"
    )
    parents = {i.module: i.parent for i in traces[0]}
    entry: dict[str, Import] = {}
    """Per package, its costliest import from outside it: who brings the package in."""
    for item in kept[0]:
        root = _root(item.module)
        if _root(item.parent) != root and (
            root not in entry or item.cumulative_us > entry[root].cumulative_us
        ):
            entry[root] = item
    first_from = {root: item.parent or "the command itself" for root, item in entry.items()}
    print("  by top-level package (own time of all its modules; brought in by):")
    for name, us in _heaviest(_median_by(kept, "package"), top):
        print(f"    {us / 1000:7.1f} ms  {name:<24} <- {first_from.get(name, '?')}")
    print("  slowest modules by their own time:")
    for name, us in _heaviest(_median_by(kept, "self"), top):
        print(f"    {us / 1000:7.1f} ms  {_chain(name, parents)}")
    print("  heaviest imports (cumulative, with what pulled each in first):")
    for name, us in _heaviest(_median_by(kept, "cumulative"), top):
        print(f"    {us / 1000:7.1f} ms  {_chain(name, parents)}")


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
        commands = {
            "python -c pass": bare,
            NO_SITE: [sys.executable, "-S", "-c", "pass"],
        } | {f"exec {text!r}": [*launcher, "exec", text] for text in COMMANDS}
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
        worst = max(statistics.median(v) for k, v in samples.items() if k != NO_SITE) / base
        print(
            f"  worst ratio to a bare start: {worst:.1f}x "
            f"({'meets' if worst <= GOAL_RATIO else 'misses'} the {GOAL_RATIO:g}x goal)"
        )
        [bare_trace] = importtime_profile(bare, env, 1)
        print_importtime(
            importtime_profile([*launcher, "exec", COMMANDS[0]], env, IMPORTTIME_RUNS),
            {i.module for i in bare_trace},
            args.top,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
