"""How well news items become the right suggestions: the 50 headlines of
tests/data/headlines.csv (2024 NATO Secretary General race and Sweden's accession, in English,
French and German), each read against both trackers as two feeds would read it, compared with
the suggestion a careful moderator would want ('no suggestion' included).

    .venv/bin/python -m bench.headlines_bench [--verbose]

Per headline: right (exactly the expected suggestions, or rightly none), wrong (something
suggested that should not be: a false positive, a wrong member, a wrong stance, a wrong
target), missed (expected, nothing suggested). The baseline is the same items read with the
English names only (the aliases this issue added removed), in the same run.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.domain import Candidate, Tracker, TrackerKind
from bot.feeds.matching import read_item
from bot.members import Body, Member, shipped_body
from bot.rules import Rule

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "headlines.csv"

SG = Tracker(
    id=1,
    slug="nato-sg-2024",
    title="NATO Secretary General 2024",
    body="nato",
    kind=TrackerKind.SELECTION,
    rule=Rule("unanimity"),
    opened=date(2024, 2, 22),
    candidates=(Candidate(1, "Mark Rutte"), Candidate(2, "Klaus Iohannis")),
)
SG_KEYWORDS = ("secrétaire général", "Generalsekretär")
"""What a moderator reading French and German news would add: `keywords="..."`."""
SWEDEN = Tracker(
    id=2,
    slug="sweden-accession",
    title="Sweden's accession to NATO",
    body="nato",
    kind=TrackerKind.APPROVAL,
    rule=Rule("unanimity"),
    opened=date(2022, 7, 5),
    subject="SE",
    stages=("parliament", "signature", "deposit"),
)
FEEDS = ((SG, SG_KEYWORDS), (SWEDEN, ()))

Key = tuple[str, str, str, str]
"""(tracker slug, member code, stance or '', target or '')."""


@dataclass(frozen=True)
class Headline:
    id: int
    day: date
    lang: str
    title: str
    summary: str
    expected: frozenset[Key]


@dataclass
class Figures:
    right: int = 0
    rightly_none: int = 0
    false_positive: int = 0
    wrong_member: int = 0
    wrong_stance: int = 0
    stance_left_open: int = 0
    """Of wrong_stance: the text said it, the reader left it for the moderator."""
    wrong_target: int = 0
    missed: int = 0
    by_lang: Counter[str] = dataclasses.field(default_factory=Counter)
    """Right ones by language."""

    @property
    def wrong(self) -> int:
        return self.false_positive + self.wrong_member + self.wrong_stance + self.wrong_target

    @property
    def total(self) -> int:
        return self.right + self.rightly_none + self.wrong + self.missed


def load(path: Path = CORPUS) -> list[Headline]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        members = [m for m in row["members"].split(";") if m]
        expected = frozenset(
            (row["tracker"], code, row["stance"], row["target"]) for code in members
        )
        out.append(
            Headline(
                int(row["id"]),
                date.fromisoformat(row["date"]),
                row["lang"],
                row["title"],
                row["summary"],
                expected,
            )
        )
    return out


def suggested(headline: Headline, body: Body) -> frozenset[Key]:
    keys: set[Key] = set()
    for tracker, keywords in FEEDS:
        reading = read_item(headline.title, headline.summary, tracker, body, headline.day, keywords)
        for s in reading.suggestions:
            keys.add((tracker.slug, s.member, str(s.stance or ""), s.target or ""))
    return frozenset(keys)


def classify(expected: frozenset[Key], got: frozenset[Key]) -> str:
    if got == expected:
        return "right" if expected else "rightly_none"
    if not got:
        return "missed"
    if not expected:
        return "false_positive"
    if {(t, m) for t, m, _, _ in got} != {(t, m) for t, m, _, _ in expected}:
        return "wrong_member"
    if {k[:3] for k in got} != {k[:3] for k in expected}:
        return "wrong_stance"
    return "wrong_target"


def evaluate(body: Body, verbose: bool = False) -> Figures:
    figures = Figures()
    for headline in load():
        got = suggested(headline, body)
        verdict = classify(headline.expected, got)
        setattr(figures, verdict, getattr(figures, verdict) + 1)
        if verdict == "wrong_stance" and all(not k[2] for k in got - headline.expected):
            figures.stance_left_open += 1
        if verdict in ("right", "rightly_none"):
            figures.by_lang[headline.lang] += 1
        if verbose and verdict not in ("right", "rightly_none"):
            print(f"#{headline.id} {verdict}: {headline.title}")
            print(f"    expected {sorted(headline.expected)}")
            print(f"    got      {sorted(got)}")
    return figures


def english_only(body: Body) -> Body:
    """The body as shipped before this issue: names and the few native spellings it had."""
    before = {
        "BE": ("Belgique", "België"),
        "NL": ("the Netherlands", "Holland", "Nederland"),
        "GB": ("UK", "Britain", "Great Britain", "U.K."),
        "US": ("USA", "U.S.", "U.S.A.", "United States of America", "America"),
        "TR": ("Turkey", "Turkiye"),
        "CZ": ("Czech Republic",),
        "SK": ("Slovak Republic",),
        "MK": ("Macedonia",),
    }
    members: list[Member] = [
        dataclasses.replace(m, aliases=before.get(m.code, ())) for m in body.members
    ]
    return Body(body.slug, body.name, tuple(members))


def report(figures: Figures, label: str) -> str:
    lines = [
        f"{label}: {figures.right + figures.rightly_none} of {figures.total} right "
        f"({figures.right} the right suggestion, {figures.rightly_none} rightly none)",
        f"  wrongly suggested: {figures.wrong} (false positives {figures.false_positive}, "
        f"wrong member {figures.wrong_member}, wrong stance {figures.wrong_stance} "
        f"[of which left for the moderator {figures.stance_left_open}], "
        f"wrong target {figures.wrong_target})",
        f"  missed: {figures.missed}",
        "  right by language: "
        + ", ".join(f"{lang} {n}" for lang, n in sorted(figures.by_lang.items())),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="show every headline not right")
    args, _ = parser.parse_known_args(argv)  # `python -m bench NAME...` passes names
    nato = shipped_body("nato")
    print(f"{len(load())} headlines, corpus tests/data/headlines.csv")
    figures = evaluate(nato, args.verbose)
    baseline = evaluate(english_only(nato))
    print(report(figures, "with the shipped aliases (EN/FR/DE)"))
    print(report(baseline, "baseline, English names only"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
