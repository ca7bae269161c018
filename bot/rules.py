"""Decision rules: what a body needs before a decision stands, and who can stop it.

Each rule names its source beside the code that applies it; `/tally help rules` repeats them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.errors import UserError

# EU Council qualified majority, Art. 16(4) TEU and Art. 238(3)(a) TFEU: 55% of the members
# (of the participating members) representing 65% of their population.
QMV_MEMBER_PERCENT = 55
QMV_MEMBER_SHARE = QMV_MEMBER_PERCENT / 100
QMV_POPULATION_PERCENT = 65
QMV_POPULATION_SHARE = QMV_POPULATION_PERCENT / 100
QMV_BLOCKING_MEMBERS = 4
"""Art. 16(4) TEU: a blocking minority needs at least four members (all members taking part)."""
BLOCKING_POPULATION_PERCENT = 100 - QMV_POPULATION_PERCENT
# Reinforced qualified majority, Art. 238(2) and 238(3)(b) TFEU: 72% of the (participating)
# members representing 65% of their population; no "deemed attained" clause.
RQMV_MEMBER_PERCENT = 72

RULE_NAMES = ("unanimity", "majority", "two-thirds", "qmv", "rqmv", "threshold=N")
OPTION_NAMES = ("veto", "excluded", "participants", "abstention", "base")
COUNT_KINDS = ("majority", "two-thirds", "threshold")
"""Rules that count heads: the ones a veto or base=voting applies to."""
WEIGHED_KINDS = ("qmv", "rqmv")


class Outcome(StrEnum):
    REACHED = "reached"
    BLOCKED = "blocked"
    PENDING = "pending"


class Base(StrEnum):
    """What a count rule's share is of: every member taking part, or those voting (UN GA
    rule of procedure 86: 'members present and voting' leaves out abstentions)."""

    MEMBERS = "members"
    VOTING = "voting"


class Abstention(StrEnum):
    """Under unanimity an abstention never blocks (Art. 238(4) TFEU); a constructive one
    (Art. 31(1) TEU) blocks once abstainers are a third of members and of population."""

    ORDINARY = "ordinary"
    CONSTRUCTIVE = "constructive"


@dataclass(frozen=True)
class Rule:
    """A decision rule and its options. Its text form (`str`, `parse`) is what trackers store:
    'threshold=9;veto=CN,FR,GB,RU,US;base=voting'; the old one-word forms still parse."""

    kind: str
    threshold: int | None = None
    veto: tuple[str, ...] = ()
    """Members whose declared oppose blocks whatever the count (UN Charter Art. 27(3))."""
    excluded: tuple[str, ...] = ()
    """Members not taking part: out of every base, may not declare (Art. 238(3) TFEU)."""
    participants: tuple[str, ...] = ()
    """If given, only these members take part (the complement of `excluded`)."""
    abstention: Abstention = Abstention.ORDINARY
    base: Base = Base.MEMBERS
    _taking_part: frozenset[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("veto", "excluded", "participants"):
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))
        object.__setattr__(
            self, "_taking_part", frozenset(self.participants) if self.participants else None
        )
        for problem in self._problems():
            raise UserError(problem)

    def _problems(self) -> list[str]:
        """Combinations that mean nothing, each said in one sentence."""
        problems = []
        if self.kind == "threshold" and not self.threshold:
            problems.append("threshold needs a whole number above 0, e.g. threshold=9.")
        if self.veto and self.kind not in COUNT_KINDS:
            problems.append(
                "veto= goes with majority, two-thirds or threshold=N: under unanimity every "
                "member already has a veto"
                if self.kind == "unanimity"
                else f"veto= goes with majority, two-thirds or threshold=N, not with {self.kind}: "
                "a qualified majority weighs members and population, it knows no veto"
            )
        if self.base is Base.VOTING and self.kind not in COUNT_KINDS:
            problems.append(
                f"base=voting goes with majority, two-thirds or threshold=N, not with {self.kind}"
                + (
                    ": an abstention there counts as a vote against (Art. 238 TFEU)"
                    if self.kind in WEIGHED_KINDS
                    else ": under unanimity nobody may oppose whoever votes"
                )
            )
        if self.abstention is Abstention.CONSTRUCTIVE and self.kind != "unanimity":
            problems.append(
                f"abstention=constructive goes with unanimity (Art. 31(1) TEU), not with "
                f"{self.kind}"
            )
        if self.excluded and self.participants:
            problems.append(
                "Give excluded= or participants=, not both: one is the other's complement"
            )
        out = [c for c in self.veto if not self.takes_part(c)]
        if out:
            problems.append(
                f"{', '.join(out)} would hold a veto but does not take part: a member not "
                "taking part has no vote, so no veto"
            )
        return [p if p.endswith(".") else p + "." for p in problems]

    @classmethod
    def parse(cls, text: str) -> Rule:
        """'qmv', 'threshold=9', or either followed by ';option=value' parts."""
        head, *parts = [p.strip() for p in text.strip().split(";")]
        rule = cls._parse_kind(head)
        options: dict[str, str] = {}
        for part in parts:
            if not part:
                continue
            name, sep, value = part.partition("=")
            name = name.strip().lower()
            if not sep or name not in OPTION_NAMES:
                raise UserError(
                    f"'{part}' is not a rule option. Options: "
                    + ", ".join(f"{n}=" for n in OPTION_NAMES)
                    + "."
                )
            options[name] = value.strip()
        return rule.with_options(options)

    @classmethod
    def _parse_kind(cls, text: str) -> Rule:
        key = text.strip().lower().replace("_", "-")
        if key in ("unanimity", "unanimous", "consensus"):
            return cls("unanimity")
        if key in ("majority", "simple-majority"):
            return cls("majority")
        if key in ("two-thirds", "2/3", "supermajority"):
            return cls("two-thirds")
        if key in ("qmv", "qualified-majority"):
            return cls("qmv")
        if key in ("rqmv", "reinforced-qmv", "reinforced-qualified-majority"):
            return cls("rqmv")
        if key.startswith("threshold=") or key.startswith("threshold:"):
            number = key.split("=", 1)[-1].split(":", 1)[-1]
            if number.isascii() and number.isdigit() and int(number) > 0:
                return cls("threshold", int(number))
            raise UserError(f"threshold needs a whole number above 0, not '{number}'.")
        raise UserError(f"Unknown rule '{text}'. Rules: {', '.join(RULE_NAMES)}.")

    def with_options(self, options: Mapping[str, str]) -> Rule:
        """This rule with options given as text ('CN,FR', 'voting', 'none' to clear one)."""
        changes: dict[str, Any] = {}  # each value typed by the field it replaces
        for name, value in options.items():
            cleared = value.strip().lower() in ("", "none", "-")
            if name in ("veto", "excluded", "participants"):
                changes[name] = () if cleared else parse_codes(value, name)
            elif name == "abstention":
                changes[name] = Abstention.ORDINARY if cleared else _choice(Abstention, value, name)
            elif name == "base":
                changes[name] = Base.MEMBERS if cleared else _choice(Base, value, name)
            else:
                raise UserError(f"'{name}' is not a rule option.")
        return replace(self, **changes) if changes else self

    def __str__(self) -> str:
        parts = [f"threshold={self.threshold}" if self.kind == "threshold" else self.kind]
        parts += [f"{n}={','.join(getattr(self, n))}" for n in ("veto", "excluded", "participants")]
        parts += [f"abstention={self.abstention}", f"base={self.base}"]
        return ";".join(p for p in parts if not _is_default(p))

    @property
    def restricted(self) -> bool:
        """Some members do not take part."""
        return bool(self.excluded or self.participants)

    def takes_part(self, code: str) -> bool:
        if code in self.excluded:
            return False
        return self._taking_part is None or code in self._taking_part

    def describe(
        self,
        voters: int,
        abstaining: int = 0,
        voting: int | None = None,
        blocking: int | None = None,
    ) -> str:
        """The rule as it applies to these voters (members taking part), with its source.

        Under unanimity an abstention does not block, so the count that must agree is of those
        not abstaining; with base=voting the count is of `voting` (support and oppose)."""
        text = self._describe(voters, abstaining, voting, blocking)
        if self.veto:
            text += f"; a veto ({', '.join(self.veto)}) blocks whatever the count"
        return text

    def _describe(
        self, voters: int, abstaining: int, voting: int | None, blocking: int | None
    ) -> str:
        if self.kind == "unanimity":
            if self.abstention is Abstention.CONSTRUCTIVE:
                third = math.ceil(voters / 3)
                return (
                    f"unanimity with constructive abstention (Art. 31(1) TEU): no member may "
                    f"oppose; abstainers do not block unless they are at least {third} of "
                    f"{voters} members with a third of the population"
                )
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
                f"qualified majority (Art. 16(4) TEU, 238(3) TFEU): {self.required(voters)} of "
                f"{voters} members and 65% of population; {self.blocking_text(blocking)} block"
            )
        if self.kind == "rqmv":
            return (
                "reinforced qualified majority (Art. 238(2), 238(3)(b) TFEU): "
                f"{self.required(voters)} of {voters} members (72%) and 65% of population"
            )
        if self.base is Base.VOTING:
            if voting is None:
                return (
                    f"{self.kind_text()} of those voting: counted on the members voting for or "
                    "against (abstentions and the undeclared leave the count)"
                )
            base = voting
            return (
                f"{self.kind_text()} of those voting: {self.required(base)} of the {base} voting "
                "must support (abstentions and the undeclared leave the count)"
            )
        return f"{self.kind_text()}: {self.required(voters)} of {voters} must support"

    def kind_text(self) -> str:
        return f"threshold={self.threshold}" if self.kind == "threshold" else self.kind

    def blocking_text(self, blocking: int | None = None) -> str:
        if not self.restricted:
            return "4 members with over 35%"
        if blocking is None:
            return "the fewest participants with over 35% of their population, plus one,"
        return f"{blocking} members with over 35% (the fewest holding it, plus one)"

    def required(self, voters: int) -> int:
        """How many must support out of `voters` (members taking part, or those voting)."""
        if self.kind == "unanimity":
            return voters
        if self.kind == "majority":
            return voters // 2 + 1
        if self.kind == "two-thirds":
            return math.ceil(voters * 2 / 3)
        if self.kind == "threshold":
            return self.threshold or 0
        if self.kind == "rqmv":
            return _percent_of(RQMV_MEMBER_PERCENT, voters)
        return _percent_of(QMV_MEMBER_PERCENT, voters)


def parse_codes(text: str, option: str) -> tuple[str, ...]:
    """'CN, fr,GB' -> ('CN', 'FR', 'GB'): two-letter member codes as stored."""
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    wrong = [c for c in codes if len(c) != 2 or not (c.isascii() and c.isalpha())]
    if wrong:
        raise UserError(
            f"{option}= takes member codes separated by commas (e.g. {option}=DK,IE), not "
            f"'{wrong[0]}'."
        )
    return tuple(codes)


def _choice(enum: type[StrEnum], value: str, option: str) -> StrEnum:
    try:
        return enum(value.strip().lower())
    except ValueError:
        raise UserError(
            f"{option}= takes {' or '.join(str(e) for e in enum)}, not '{value}'."
        ) from None


def _is_default(part: str) -> bool:
    return part.endswith("=") or part in ("abstention=ordinary", "base=members")


def _percent_of(percent: int, count: int) -> int:
    """ceil(percent% of count) in whole numbers (0.55 * 20 is 11.000000000000002 in floats)."""
    return (percent * count + 99) // 100


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
    vetoed_by: tuple[str, ...] = ()
    """Veto members that declared oppose: the decision is blocked whatever the count."""
    base: int = 0
    """The count the rule is applied to: members taking part, or (base=voting) those voting."""
    blocking: int | None = None
    """qmv only: how many members a blocking minority needs (4, or Art. 238(3)(a) TFEU's)."""
    provisional: bool = False
    """base=voting, tracker open, some members not yet voted: the count would meet the rule if
    the vote ended now, but the outcome stays pending (it is 'leading so far', not 'met')."""

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

    Members the rule leaves out (excluded=, participants=) drop out of every base and their
    positions are ignored. Leaning stances are not counted. A declared abstention does not
    block unanimity (the rest suffice) and counts against under qmv.
    """
    taking = [c for c in voters if rule.takes_part(c)]
    voter_set = set(taking)
    support, oppose, abstain = support & voter_set, oppose & voter_set, abstain & voter_set
    if rule.kind in WEIGHED_KINDS:
        return _evaluate_qmv(rule, taking, support, oppose | abstain, population or {})
    if rule.kind == "unanimity":
        return _evaluate_unanimity(rule, taking, support, oppose, abstain, population)
    if rule.base is Base.VOTING:
        verdict = _evaluate_of_voting(rule, taking, support, oppose, abstain)
    else:
        verdict = _evaluate_count(rule, taking, support, oppose, abstain)
    # UN Charter Art. 27(3): "including the concurring votes of the permanent members"; since
    # 1946 an abstention by a permanent member is not a veto, only a vote against is.
    vetoed_by = tuple(sorted(oppose & set(rule.veto)))
    if vetoed_by:
        blocked_by = tuple(sorted(set(verdict.blocked_by) | set(vetoed_by)))
        return replace(verdict, outcome=Outcome.BLOCKED, blocked_by=blocked_by, vetoed_by=vetoed_by)
    return verdict


def _evaluate_unanimity(
    rule: Rule,
    voters: Sequence[str],
    support: set[str],
    oppose: set[str],
    abstain: set[str],
    population: Mapping[str, int] | None,
) -> Verdict:
    # Art. 238(4) TFEU: abstentions do not prevent the adoption of acts requiring unanimity.
    required = len(voters) - len(abstain)
    # With no support at all nothing is adopted, even when every other member abstains.
    needed = max(required - len(support), 0 if support else 1)
    base = len(voters)
    if oppose:
        return Verdict(Outcome.BLOCKED, needed, tuple(sorted(oppose)), required, base=base)
    # Art. 31(1) TEU: if the members qualifying their abstention represent at least one third
    # of the member states comprising at least one third of the population, not adopted.
    if rule.abstention is Abstention.CONSTRUCTIVE and _a_third(voters, abstain, population):
        return Verdict(Outcome.BLOCKED, needed, tuple(sorted(abstain)), required, base=base)
    outcome = Outcome.REACHED if needed == 0 else Outcome.PENDING
    return Verdict(outcome, needed, (), required, base=base)


def _a_third(
    voters: Sequence[str], abstain: set[str], population: Mapping[str, int] | None
) -> bool:
    """At least a third of the members, comprising at least a third of their population (the
    population test is skipped when the body has no figures: a tracker refuses that case)."""
    if 3 * len(abstain) < len(voters) or not abstain:
        return False
    if not population:
        return True
    total = sum(population.get(c, 0) for c in voters)
    return 3 * sum(population.get(c, 0) for c in abstain) >= total


def _evaluate_count(
    rule: Rule, voters: Sequence[str], support: set[str], oppose: set[str], abstain: set[str]
) -> Verdict:
    """majority, two-thirds, threshold=N of every member taking part."""
    base = len(voters)
    required = rule.required(base)
    needed = max(required - len(support), 0)
    if needed == 0:
        return Verdict(Outcome.REACHED, 0, (), required, base=base)
    still_open = base - len(support) - len(oppose) - len(abstain)
    if needed > still_open:
        blocked_by = tuple(sorted(oppose | abstain))
        return Verdict(Outcome.BLOCKED, needed, blocked_by, required, base=base)
    return Verdict(Outcome.PENDING, needed, (), required, base=base)


def _evaluate_of_voting(
    rule: Rule, voters: Sequence[str], support: set[str], oppose: set[str], abstain: set[str]
) -> Verdict:
    """Of those voting (UN Charter Art. 18(2), GA rule 86: 'present and voting'): abstentions
    and the undeclared leave the base; at least one supporter is always needed."""
    voting = len(support) + len(oppose)
    open_ = len(voters) - voting - len(abstain)
    required = max(rule.required(voting), 1)
    if len(support) >= required:
        return Verdict(Outcome.REACHED, 0, (), required, base=voting)
    # The fewest members who, by supporting, would meet the rule: an opponent who turns keeps
    # the base as it is, a newcomer enlarges it (abstainers who turn count as newcomers).
    newcomers = open_ + len(abstain)
    best: int | None = None
    for turned in range(len(oppose) + 1):
        for added in range(newcomers + 1):
            if len(support) + turned + added >= max(rule.required(voting + added), 1):
                best = turned + added if best is None else min(best, turned + added)
                break  # more newcomers only add to the count
    # Blocked, as for every count rule, when the undeclared alone can no longer carry it.
    reachable = any(
        len(support) + added >= max(rule.required(voting + added), 1)
        for added in range(1, open_ + 1)
    )
    if reachable and best is not None:
        return Verdict(Outcome.PENDING, best, (), required, base=voting)
    needed = best if best is not None else max(rule.required(voting + open_), 1) - len(support)
    # Those against stand in the way; with none against, the abstainers who left the count.
    blockers = tuple(sorted(oppose or abstain))
    return Verdict(Outcome.BLOCKED, needed, blockers, required, base=voting)


def blocking_members(rule: Rule, voters: Sequence[str], population: Mapping[str, int]) -> int:
    """Members a qmv blocking minority needs. All taking part: 4 (Art. 16(4) TEU). Some not
    taking part: the fewest participants holding over 35% of their population, plus one
    (Art. 238(3)(a) TFEU)."""
    if not rule.restricted:
        return QMV_BLOCKING_MEMBERS
    total = sum(population.get(c, 0) for c in voters)
    held = 0
    for count, size in enumerate(sorted((population.get(c, 0) for c in voters), reverse=True), 1):
        held += size
        if held * 100 > BLOCKING_POPULATION_PERCENT * total:
            return count + 1
    return len(voters) + 1


def _evaluate_qmv(
    rule: Rule,
    voters: Sequence[str],
    support: set[str],
    against: set[str],
    population: Mapping[str, int],
) -> Verdict:
    """qmv and rqmv, integer arithmetic so that exactly 65% is 65%. An abstention counts
    against (the rule needs a share of all members taking part)."""
    total = sum(population.get(code, 0) for code in voters) or 1
    share = {code: population.get(code, 0) / total for code in voters}
    required = rule.required(len(voters))
    support_pop = sum(population.get(c, 0) for c in support)
    against_pop = sum(population.get(c, 0) for c in against)
    undeclared = [c for c in voters if c not in support and c not in against]
    over_35 = against_pop * 100 > BLOCKING_POPULATION_PERCENT * total
    blocking_size = None
    if rule.kind == "rqmv":
        # No "deemed attained" clause: any members with over 35% make 65% unreachable.
        blocking = over_35
    else:
        blocking_size = blocking_members(rule, voters, population)
        blocking = over_35 and len(against) >= blocking_size
    too_few_left = len(voters) - len(against) < required
    weight = (support_pop / total, QMV_POPULATION_SHARE)
    base = len(voters)
    population_met = support_pop * 100 >= QMV_POPULATION_PERCENT * total
    if blocking or too_few_left:
        needed = _qmv_needed(required, support, support_pop / total, undeclared, share)
        blockers = tuple(sorted(against))
        return Verdict(
            Outcome.BLOCKED, needed, blockers, required, *weight, base=base, blocking=blocking_size
        )
    if len(support) >= required and population_met:
        return Verdict(Outcome.REACHED, 0, (), required, *weight, base=base, blocking=blocking_size)
    if rule.kind == "qmv" and len(support) >= required and not undeclared:
        # Too few members for a blocking minority: the majority is deemed attained.
        return Verdict(Outcome.REACHED, 0, (), required, *weight, base=base, blocking=blocking_size)
    needed = _qmv_needed(required, support, support_pop / total, undeclared, share)
    return Verdict(
        Outcome.PENDING, needed, (), required, *weight, base=base, blocking=blocking_size
    )


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


RULE_HELP: tuple[tuple[str, str, str], ...] = (
    (
        "unanimity",
        "Every member taking part must agree; one oppose blocks; an abstention does not "
        "(NATO consensus; EU Council, Art. 238(4) TFEU).",
        "rule=unanimity",
    ),
    (
        "unanimity with constructive abstention",
        "Abstainers do not block unless they are at least a third of the members with at "
        "least a third of the population: then not adopted (Art. 31(1) TEU).",
        "rule=unanimity abstention=constructive",
    ),
    (
        "majority, two-thirds",
        "More than half, or at least two thirds, of the members taking part must support.",
        "rule=two-thirds",
    ),
    (
        "threshold=N",
        "At least N members must support.",
        "rule=threshold=9",
    ),
    (
        "veto",
        "With majority, two-thirds or threshold=N: a declared oppose by a veto member blocks "
        "whatever the count; its abstention does not (UN Charter Art. 27(3), practice since "
        "1946).",
        'rule=threshold=9 veto="CN,FR,GB,RU,US"',
    ),
    (
        "of those voting",
        "base=voting with majority, two-thirds or threshold=N: abstentions and undeclared "
        "members leave the count (UN General Assembly: 'two-thirds of the members present and "
        "voting', Charter Art. 18(2); rule of procedure 86: abstainers are not voting).",
        "rule=two-thirds base=voting",
    ),
    (
        "qmv",
        "EU Council qualified majority: 55% of the members representing 65% of the "
        "population; a blocking minority needs 4 members with over 35% (Art. 16(4) TEU).",
        "rule=qmv body=eu",
    ),
    (
        "rqmv",
        "Reinforced qualified majority, when the Council does not act on a Commission "
        "proposal: 72% of the members representing 65% of the population (Art. 238(2) TFEU).",
        "rule=rqmv body=eu",
    ),
    (
        "members not taking part",
        "excluded= or participants=: the others leave every count and may not declare. Under "
        "qmv: 55% (rqmv 72%) of participants with 65% of their population; a blocking minority "
        "is the fewest participants with over 35% of their population, plus one (Art. 238(3) "
        "TFEU).",
        'rule=qmv excluded="DK,IE"',
    ),
)
"""`/tally help rules` and the README: each rule, its source, one example."""
