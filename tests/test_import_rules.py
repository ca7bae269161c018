"""The house's import rules, checked on the source: who may import whom (docs in README, Layout).

- bot/ (the core) never imports adapters, tallybot or store, not even under TYPE_CHECKING;
- store/ never imports adapters or tallybot;
- an adapter (adapters/<x>/) never imports store, tallybot or another adapter;
- tallybot/ (the launcher) may import everything.

Every import counts, at any depth: module level, inside functions, under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "store", "adapters", "tallybot")


@dataclass(frozen=True)
class Breach:
    file: str
    line: int
    module: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: imports {self.module}: {self.rule}"


def imported_modules(tree: ast.AST, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in the tree, relative ones resolved against
    `package` (the dotted package of the file). `from P import name` gives P, and P.name too
    when P alone breaks no rule (the name may be a subpackage: `from adapters import slack`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{module}" if module else base
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def rule_broken(file: str, module: str) -> str | None:
    """Which rule importing `module` from `file` (a path relative to the repository) breaks."""
    top = module.split(".")[0]
    part = file.split("/")[0]
    if part == "bot" and top in ("adapters", "tallybot", "store"):
        return f"bot/ never imports {top}"
    if part == "store" and top in ("adapters", "tallybot"):
        return f"store/ never imports {top}"
    if part == "adapters":
        if top in ("store", "tallybot"):
            return f"adapters never import {top}"
        own = file.split("/")[1] if file.count("/") >= 2 else None  # None: adapters/*.py
        other = module.split(".")[1] if top == "adapters" and "." in module else None
        if other is not None and other != own:
            return f"adapters/{own} never imports another adapter (adapters.{other})"
    return None


def breaches_in(path: Path, root: Path = REPO) -> list[Breach]:
    relative = path.relative_to(root)
    file = relative.as_posix()
    package = ".".join(relative.parts[:-1])
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=file)
    found: dict[int, Breach] = {}  # one breach a line: `from P import x` is P's breach
    for line, module in imported_modules(tree, package):
        rule = rule_broken(file, module)
        if rule and line not in found:
            found[line] = Breach(file, line, module, rule)
    return sorted(found.values(), key=lambda b: b.line)


def all_sources(root: Path = REPO) -> list[Path]:
    return sorted(p for package in PACKAGES for p in (root / package).rglob("*.py"))


def test_every_package_keeps_to_its_imports() -> None:
    sources = all_sources()
    assert len(sources) > 50  # the scan did find the code
    breaches = [b for path in sources for b in breaches_in(path)]
    assert not breaches, "import rules broken:\n" + "\n".join(map(str, breaches))


@pytest.mark.parametrize(
    ("file", "source", "line", "rule"),
    [
        ("bot/x.py", "def f():\n    from adapters.console import render\n", 2, "bot/ never"),
        (
            "bot/y.py",
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import tallybot.cli\n",
            4,
            "bot/ never imports tallybot",
        ),
        ("bot/z.py", "import store\n", 1, "bot/ never imports store"),
        ("store/x.py", "from adapters import slack\n", 1, "store/ never imports adapters"),
        ("adapters/slack/x.py", "from adapters.discord.render import a\n", 1, "another adapter"),
        ("adapters/slack/y.py", "\nfrom ..discord import render\n", 2, "another adapter"),
        ("adapters/discord/x.py", "from adapters import slack\n", 1, "another adapter"),
        ("adapters/console/x.py", "import store.alerts\n", 1, "adapters never import store"),
        ("adapters/console/y.py", "from tallybot.wiring import x\n", 1, "never import tallybot"),
    ],
)
def test_the_scanner_catches_a_breach(
    tmp_path: Path, file: str, source: str, line: int, rule: str
) -> None:
    path = tmp_path / file
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    [breach] = breaches_in(path, root=tmp_path)
    assert (breach.file, breach.line) == (file, line)
    assert rule in breach.rule
    assert f"{file}:{line}: imports " in str(breach)


def test_an_adapter_may_import_its_own_subpackage_and_the_core(tmp_path: Path) -> None:
    path = tmp_path / "adapters/slack/x.py"
    path.parent.mkdir(parents=True)
    path.write_text(
        "from adapters.slack.blocks import render\nfrom . import escape\nfrom bot.app import Core\n"
    )
    assert breaches_in(path, root=tmp_path) == []
