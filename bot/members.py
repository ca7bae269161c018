"""Bodies and their members, and turning what a user types into a member."""

from __future__ import annotations

import difflib
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
    """Case-, accent- and punctuation-insensitive key: 'Türkiye' -> 'turkiye', 'Føroyar' ->
    'foroyar', 'Łódź' -> 'lodz'.

    anyascii transliterates every letter, including those Unicode does not decompose (ø, ł, ß,
    þ), so what a reporter types on an English keyboard finds the name. Imported on first
    use: `tallybot exec "/tally help"` never needs its tables."""
    from anyascii import anyascii

    folded = anyascii(text).casefold()
    cleaned = "".join(c if c.isalnum() else " " for c in folded)
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
    breaks: tuple[tuple[date, date], ...] = ()
    """Gaps between terms, [from, until): an elected member of the UN Security Council serves
    two-year terms, sometimes twice. `joined` is the first term's start, `left` the last's end."""

    @property
    def flag(self) -> str:
        return flag_emoji(self.code)

    @property
    def label(self) -> str:
        return f"{self.flag}\u00a0{self.name}"  # a no-break space: the flag never wraps away

    def is_member_on(self, day: date) -> bool:
        if not (self.joined <= day and (self.left is None or day < self.left)):
            return False
        return not any(start <= day < until for start, until in self.breaks)

    def break_on(self, day: date) -> tuple[date, date] | None:
        """The gap between terms that `day` falls in, if any."""
        return next(((s, u) for s, u in self.breaks if s <= day < u), None)

    def names(self) -> tuple[str, ...]:
        return (self.code, self.name, *self.aliases)


@dataclass(frozen=True)
class Body:
    """An organisation whose members decide: NATO, the EU Council..."""

    slug: str
    name: str
    members: tuple[Member, ...]
    elsewhere: tuple[Member, ...] = field(default=(), repr=False, compare=False)
    """Members of the other bodies, to say 'Austria is not a member of NATO' rather than
    guess at a NATO member."""
    _index: dict[str, Member] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", name_index(self.members))

    @property
    def weighs_population(self) -> bool:
        return bool(self.members) and all(m.population for m in self.members)

    @property
    def in_sentence(self) -> str:
        """The name as it reads inside a sentence: 'NATO', 'the EU Council'."""
        if self.name.isupper() or self.name.lower().startswith("the "):
            return self.name
        return f"the {self.name}"

    def members_on(self, day: date) -> list[Member]:
        return [m for m in self.members if m.is_member_on(day)]

    def get(self, code: str) -> Member:
        for member in self.members:
            if member.code == code:
                return member
        raise NotFound(f"{code} is not a member of {self.in_sentence}.")

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
        outsider = name_index(self.elsewhere).get(key)
        if outsider is not None:
            own = next((m for m in self.members if m.code == outsider.code), None)
            if own is not None:
                return own  # another body's spelling of the same country (EL for Greece)
            raise NotFound(f"{outsider.name} is not a member of {self.in_sentence}.")
        suggestions = self.suggest(text)
        hint = f" Did you mean {_or_list([m.name for m in suggestions])}?" if suggestions else ""
        # Not a fact about a country: a name we could not place (often a typo).
        raise NotFound(f"No member '{text}' in {self.in_sentence}.{hint}")

    def suggest(self, text: str, limit: int = 3) -> list[Member]:
        """What a person would suggest: names that begin with or contain what was typed, then
        close spellings of names and aliases (codes only match exactly: 'AT' is not 'LT')."""
        key = normalise(text)
        if not key:
            return []
        spelled = {name: m for name, m in self._index.items() if len(name) > 2}
        found: list[Member] = []
        prefix = [m for name, m in spelled.items() if len(key) >= 2 and name.startswith(key)]
        inside = [m for name, m in spelled.items() if len(key) >= 3 and key in name]
        close = difflib.get_close_matches(key, list(spelled), n=limit * 3, cutoff=SPELLING_CUTOFF)
        for member in [*sorted(prefix, key=_by_name), *inside, *(spelled[n] for n in close)]:
            if member not in found:
                found.append(member)
        return found[:limit]

    def search(self, text: str, limit: int = 25) -> list[Member]:
        """Best matches first, for autocomplete: exact, then prefix, then substring, then fuzzy."""
        key = normalise(text)
        if not key:
            return sorted(self.members, key=_by_name)[:limit]
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


SPELLING_CUTOFF = 0.75
"""difflib ratio for 'did you mean': Lithuana -> Lithuania (0.94), not Austria -> Latvia."""


def name_index(members: Iterable[Member]) -> dict[str, Member]:
    """Normalised code, name and alias -> member. Codes and names win over aliases, so an
    alias stored before the import check existed can never hide another member."""
    index: dict[str, Member] = {}
    members = list(members)
    for member in members:
        for name in (member.code, member.name):
            index.setdefault(normalise(name), member)
    for member in members:
        for alias in member.aliases:
            index.setdefault(normalise(alias), member)
    return index


def _by_name(member: Member) -> str:
    return member.name


def _or_list(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


SHIPPED_BODIES: dict[str, str] = {
    "nato": "NATO",
    "eu": "EU Council",
    "unsc": "UN Security Council",
}


def shipped_body(slug: str) -> Body:
    """A body as shipped in bot/data, knowing the other shipped bodies' members."""
    from bot.member_file import read_members_csv  # the file reader builds Members

    lists = {s: tuple(read_members_csv(DATA_DIR / f"{s}.csv")) for s in SHIPPED_BODIES}
    elsewhere = tuple(m for other, members in lists.items() if other != slug for m in members)
    return Body(slug, SHIPPED_BODIES[slug], lists[slug], elsewhere)
