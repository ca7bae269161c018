"""The command that starts tallybot: `python -m tallybot` once the launcher lives there,
`python -m adapters.cli` before, or what `--launcher` says."""

from __future__ import annotations

import importlib.util
import shlex
import sys

CANDIDATES = ("tallybot", "adapters.cli")


def default_launcher() -> list[str]:
    """The first of CANDIDATES that `python -m` can run."""
    for module in CANDIDATES:
        try:
            found = importlib.util.find_spec(module)
            if found is not None and found.submodule_search_locations is not None:
                found = importlib.util.find_spec(f"{module}.__main__")
        except ModuleNotFoundError:
            found = None
        if found is not None:
            return [sys.executable, "-m", module]
    raise SystemExit(f"none of {', '.join(CANDIDATES)} can be run with python -m")


def parse_launcher(text: str | None) -> list[str]:
    """`--launcher "python -m tallybot"` as argv (the word python is this interpreter)."""
    if not text:
        return default_launcher()
    return [sys.executable if w in ("python", "python3") else w for w in shlex.split(text)]


def shown(launcher: list[str]) -> str:
    return " ".join("python" if w == sys.executable else w for w in launcher)
