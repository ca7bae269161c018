"""Decision rules: what a body needs before a decision stands, and who can stop it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import UserError

QMV_MEMBER_SHARE = 0.55
QMV_POPULATION_SHARE = 0.65
QMV_BLOCKING_MEMBERS = 4

RULE_NAMES = ("unanimity", "majority", "two-thirds", "qmv", "threshold=N")


class Outcome(StrEnum):
    REACHED = "reached"
    BLOCKED = "blocked"
    PENDING = "pending"


@dataclass(frozen=True)
class Rule:
    kind: str
    threshold: int | None = None

    @classmethod
    def parse(cls, text: str) -> Rule:
        key = text.strip().lower().replace("_", "-")
        if key in ("unanimity", "unanimous", "consensus"):
            return cls("unanimity")
        if key in ("majority", "simple-majority"):
            return cls("majority")
        if key in ("two-thirds", "2/3", "supermajority"):
            return cls("two-thirds")
        if key in ("qmv", "qualified-majority"):
            return cls("qmv")
        if key.startswith("threshold=") or key.startswith("threshold:"):
            number = key.split("=", 1)[-1].split(":", 1)[-1]
            if number.isascii() and number.isdigit() and int(number) > 0:
                return cls("threshold", int(number))
            raise UserError(f"threshold needs a whole number above 0, not '{number}'.")
        raise UserError(f"Unknown rule '{text}'. Rules: {', '.join(RULE_NAMES)}.")

    def __str__(self) -> str:
        return f"threshold={self.threshold}" if self.kind == "threshold" else self.kind

    def describe(self, voters: int, abstaining: int = 0) -> str:
        """The rule as it applies to these voters: under unanimity an abstention does not block,
        so the count that must agree is of those not abstaining."""
        if self.kind == "unanimity":
            how = "no member may oppose; an abstention does not block"
            if abstaining:
                verb = "abstains" if abstaining == 1 else "abstain"
                return (
                    f"unanimity: all {voters - abstaining} not abstaining must agree "
                    f"({abstaining} {verb}); {how}"
                )
            return f"unanimity: all {voters} must agree; {how}"
        if self.kind == "qmv":
            return (
                f"qualified majority: {math.ceil(QMV_MEMBER_SHARE * voters)} of {voters} members "
                "and 65% of population; 4 members with over 35% block"
            )
        return f"{self}: {self.required(voters)} of {voters} must support"

    def required(self, voters: int) -> int:
        if self.kind == "unanimity":
            return voters
        if self.kind == "majority":
            return voters // 2 + 1
        if self.kind == "two-thirds":
            return math.ceil(voters * 2 / 3)
        if self.kind == "threshold":
            return self.threshold or 0
        return math.ceil(QMV_MEMBER_SHARE * voters)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    needed: int
    """How many more members must support; 0 once reached."""
    blocked_by: tuple[str, ...] = ()
    required: int = 0
    population_share: float | None = None
    """qmv only: the share of the voters' population behind it (0-1)."""
    population_needed: float | None = None
    """qmv only: the share of population the rule requires (0.65)."""

    def members_short(self, supporting: int) -> int:
        """How many more members the member condition alone still needs."""
        return max(self.required - supporting, 0)

    @property
    def population_short(self) -> bool:
        """qmv: the population condition is not met yet."""
        if self.population_needed is None:
            return False
        return (self.population_share or 0.0) < self.population_needed - 1e-9


def evaluate(
    rule: Rule,
    voters: Sequence[str],
    support: set[str],
    oppose: set[str],
    abstain: set[str],
    population: Mapping[str, int] | None = None,
) -> Verdict:
    """Pure: voters are member codes; support/oppose/abstain are the declared positions.

    Leaning stances are not counted. A declared abstention does not block unanimity (EU
    practice: the rest suffice) and counts against under qmv.
    """
    voter_set = set(voters)
    support, oppose, abstain = support & voter_set, oppose & voter_set, abstain & voter_set
    if rule.kind == "qmv":
        return _evaluate_qmv(voters, support, oppose | abstain, population or {})
    if rule.kind == "unanimity":
        required = len(voter_set - abstain)
        blocked_by = tuple(sorted(oppose))
        # With no support at all nothing is adopted, even when every other member abstains.
        needed = max(required - len(support), 0 if support else 1)
        if blocked_by:
            return Verdict(Outcome.BLOCKED, needed, blocked_by, required)
        outcome = Outcome.REACHED if needed == 0 else Outcome.PENDING
        return Verdict(outcome, needed, (), required)
    required = rule.required(len(voter_set))
    needed = max(required - len(support), 0)
    if needed == 0:
        return Verdict(Outcome.REACHED, 0, (), required)
    still_open = len(voter_set - support - oppose - abstain)
    if needed > still_open:
        return Verdict(Outcome.BLOCKED, needed, tuple(sorted(oppose | abstain)), required)
    return Verdict(Outcome.PENDING, needed, (), required)


def _evaluate_qmv(
    voters: Sequence[str], support: set[str], against: set[str], population: Mapping[str, int]
) -> Verdict:
    total = sum(population.get(code, 0) for code in voters) or 1
    share = {code: population.get(code, 0) / total for code in voters}
    required = math.ceil(QMV_MEMBER_SHARE * len(voters))
    support_share = sum(share[c] for c in support)
    against_share = sum(share[c] for c in against)
    undeclared = [c for c in voters if c not in support and c not in against]
    blocking_minority = len(against) >= QMV_BLOCKING_MEMBERS and against_share > 1 - (
        QMV_POPULATION_SHARE
    )
    too_few_left = len(voters) - len(against) < required
    weight = (support_share, QMV_POPULATION_SHARE)
    if blocking_minority or too_few_left:
        needed = _qmv_needed(required, support, support_share, undeclared, share)
        blockers = tuple(sorted(against))
        return Verdict(Outcome.BLOCKED, needed, blockers, required, *weight)
    if len(support) >= required and support_share >= QMV_POPULATION_SHARE - 1e-9:
        return Verdict(Outcome.REACHED, 0, (), required, *weight)
    if len(support) >= required and not undeclared:
        # A blocking minority needs four members; with fewer the majority is deemed attained.
        return Verdict(Outcome.REACHED, 0, (), required, *weight)
    needed = _qmv_needed(required, support, support_share, undeclared, share)
    return Verdict(Outcome.PENDING, needed, (), required, *weight)


def _qmv_needed(
    required: int,
    support: set[str],
    support_share: float,
    undeclared: Sequence[str],
    share: Mapping[str, float],
) -> int:
    """Fewest further supporters that would meet both thresholds (largest populations first)."""
    needed_members = max(required - len(support), 0)
    added, gained = 0, support_share
    for code in sorted(undeclared, key=lambda c: -share[c]):
        if added >= needed_members and gained >= QMV_POPULATION_SHARE - 1e-9:
            break
        added += 1
        gained += share[code]
    return max(added, needed_members)
