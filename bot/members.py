"""Bodies and their members, and turning what a user types into a member."""

from __future__ import annotations

import csv
import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.errors import NotFound, UserError

DATA_DIR = Path(__file__).parent / "data"


def flag_emoji(code: str) -> str:
    """Regional-indicator pair for an ISO alpha-2 code (GB -> 🇬🇧)."""
    if len(code) != 2 or not code.isalpha():
        return "🏳️"
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code.upper())


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: 'Türkiye' -> 'turkiye'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in letters)
    words = cleaned.split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    joined: date
    left: date | None = None
    population: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return flag_emoji(self.code)

    @property
    def label(self) -> str:
        return f"{self.flag}\u00a0{self.name}"  # a no-break space: the flag never wraps away

    def is_member_on(self, day: date) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)

    def names(self) -> tuple[str, ...]:
        return (self.code, self.name, *self.aliases)


@dataclass(frozen=True)
class Body:
    """An organisation whose members decide: NATO, the EU Council..."""

    slug: str
    name: str
    members: tuple[Member, ...]
    _index: dict[str, Member] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Member] = {}
        for member in self.members:
            for name in member.names():
                index.setdefault(normalise(name), member)
        object.__setattr__(self, "_index", index)

    @property
    def weighs_population(self) -> bool:
        return bool(self.members) and all(m.population for m in self.members)

    def members_on(self, day: date) -> list[Member]:
        return [m for m in self.members if m.is_member_on(day)]

    def get(self, code: str) -> Member:
        for member in self.members:
            if member.code == code:
                return member
        raise NotFound(f"{code} is not a member of {self.name}.")

    def resolve(self, text: str) -> Member:
        """Code, name or alias; a unique prefix of a name also works ('lith')."""
        key = normalise(text)
        if not key:
            raise UserError("Name a member state, e.g. LT or Lithuania.")
        if key in self._index:
            return self._index[key]
        prefixed = {m for name, m in self._index.items() if len(key) >= 3 and name.startswith(key)}
        if len(prefixed) == 1:
            return prefixed.pop()
        suggestions = self.suggest(text)
        hint = f" Did you mean {_or_list([m.name for m in suggestions])}?" if suggestions else ""
        raise NotFound(f"'{text}' is not a member of {self.name}.{hint}")

    def suggest(self, text: str, limit: int = 3) -> list[Member]:
        key = normalise(text)
        close = difflib.get_close_matches(key, list(self._index), n=limit * 3, cutoff=0.6)
        found: list[Member] = []
        for name in close:
            member = self._index[name]
            if member not in found:
                found.append(member)
        return found[:limit]

    def search(self, text: str, limit: int = 25) -> list[Member]:
        """Best matches first, for autocomplete: exact, then prefix, then substring, then fuzzy."""
        key = normalise(text)
        if not key:
            return sorted(self.members, key=lambda m: m.name)[:limit]
        ranked: list[tuple[int, str, Member]] = []
        for member in self.members:
            keys = [normalise(n) for n in member.names()]
            if key in keys:
                rank = 0
            elif any(k.startswith(key) for k in keys):
                rank = 1
            elif any(key in k for k in keys):
                rank = 2
            else:
                continue
            ranked.append((rank, member.name, member))
        ranked.sort(key=lambda item: item[:2])
        found = [m for _, _, m in ranked]
        for member in self.suggest(text, limit):
            if member not in found:
                found.append(member)
        return found[:limit]


def _or_list(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def parse_members_csv(rows: Iterable[dict[str, str]]) -> list[Member]:
    """Rows with code,name,joined[,left,population,aliases]; aliases separated by ';'."""
    members: list[Member] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        try:
            code = (row.get("code") or "").strip().upper()
            name = (row.get("name") or "").strip()
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"code '{code}' is not an ISO 3166 alpha-2 code")
            if not name:
                raise ValueError("name is empty")
            if code in seen:
                raise ValueError(f"code {code} appears twice")
            seen.add(code)
            left = (row.get("left") or "").strip()
            population = (row.get("population") or "").strip()
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
            members.append(
                Member(
                    code=code,
                    name=name,
                    joined=date.fromisoformat((row.get("joined") or "").strip()),
                    left=date.fromisoformat(left) if left else None,
                    population=int(population) if population else None,
                    aliases=aliases,
                )
            )
        except (ValueError, TypeError) as exc:
            raise UserError(f"line {line}: {exc}") from exc
    if not members:
        raise UserError("the file lists no members")
    return members


def read_members_csv(path: Path) -> list[Member]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"code", "name", "joined"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
        return parse_members_csv(reader)


SHIPPED_BODIES: dict[str, str] = {
    "nato": "NATO",
    "eu": "EU Council",
}


def shipped_body(slug: str) -> Body:
    return Body(slug, SHIPPED_BODIES[slug], tuple(read_members_csv(DATA_DIR / f"{slug}.csv")))
