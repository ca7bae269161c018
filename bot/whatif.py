"""What-if: the tally if some members took other stances, and the smallest sets of members
whose support would meet the rule. Pure: hypothetical declarations go through compute_tally,
the very count every reply uses.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import Candidate, Confidence, Declaration, Stance, TrackerKind
from bot.rules import QMV_POPULATION_SHARE, WEIGHED_KINDS, Abstention, Base, Outcome
from bot.tally import Tally, compute_tally

HYPOTHETICAL = "what-if"
"""recorded_by of a hypothetical declaration: it is never stored."""
PATHS_SHOWN = 10
"""Sets listed at most."""
PATHS_BUDGET = 200_000
"""Combinations tried at most (qmv): past it the search stops and says so."""


@dataclass(frozen=True)
class Hypothesis:
    member: str
    stance: Stance
    candidate: Candidate | None = None
    """For a selection's support or opposition: whom (default: the leader)."""


def apply(tally: Tally, hypotheses: Sequence[Hypothesis]) -> Tally:
    """The tally on the same day with each member's position replaced by the hypothesis."""
    tracker = tally.tracker
    positions = dict(tally.positions)
    final = tracker.stages[-1] if tracker.stages else None
    for number, hypothesis in enumerate(hypotheses, start=1):
        names = tracker.kind is TrackerKind.SELECTION and hypothesis.stance.names_candidate
        positions[hypothesis.member] = Declaration(
            id=-number,
            tracker_id=tracker.id,
            member=hypothesis.member,
            stance=hypothesis.stance,
            made_on=tally.as_of,
            recorded_by=HYPOTHETICAL,
            recorded_at=datetime.combine(tally.as_of, datetime.min.time(), UTC),
            candidate_id=hypothesis.candidate.id if names and hypothesis.candidate else None,
            stage=final if hypothesis.stance is Stance.SUPPORT else None,
            confidence=Confidence.UNSTATED,
        )
    return compute_tally(tracker, tally.body, tally.as_of, positions)


@dataclass(frozen=True)
class Pick:
    """Part of a way to meet the rule: `take` members out of `of` (all of them if equal)."""

    take: int
    of: tuple[str, ...]


@dataclass(frozen=True)
class Paths:
    """The smallest sets of holdouts whose support would meet the rule."""

    size: int | None
    """Members in each smallest set; None when no set of holdouts can meet it."""
    sets: tuple[tuple[str, ...], ...]
    """Listed sets (at most PATHS_SHOWN); for a count rule, `pool` says 'any `size` of'."""
    pool: tuple[str, ...]
    """The holdouts the sets are drawn from."""
    any_of_pool: bool
    """A count rule: any `size` members of the pool will do (sets lists none)."""
    total: int | None
    """How many smallest sets there are, when known."""
    cut: bool
    """The search stopped at PATHS_BUDGET combinations: more sets may exist."""
    tried: int
    ways: tuple[tuple[Pick, ...], ...] = ()
    """A count rule whose holdouts differ (veto holders, opponents, abstainers): each way to
    meet the rule as picks from groups of alike members; every one checked by evaluation."""
    must: tuple[str, ...] = ()
    """Members in every smallest set: a vetoing member, abstainers whose constructive
    abstention blocks; while they hold out the rule cannot be met."""


def paths(tally: Tally, candidate: Candidate | None = None) -> Paths:
    """Smallest sets of members not yet counted (undecided, opposing, leaning, abstaining,
    backing a rival, undeclared) whose support for `candidate` (default the leader) or
    approval would meet the rule. Every set is checked by the tally itself (the rule as
    applied: vetoes, members not taking part, constructive abstention, base=voting)."""
    target = _target(tally, candidate)
    counted = set(_supporters(tally, target))
    pool = tuple(m.code for m in tally.voters if m.code not in counted)
    if _meets(tally, (), target):
        return Paths(0, ((),), pool, False, 1, False, 0)
    if not pool:
        return Paths(None, (), pool, False, 0, False, 0)
    if tally.tracker.rule.kind in WEIGHED_KINDS:
        return _qmv_paths(tally, target, counted, pool)
    return _count_paths(tally, target, counted, pool)


def _groups(tally: Tally, target: Candidate | None, pool: Sequence[str]) -> list[tuple[str, ...]]:
    """Holdouts the rule treats alike, largest population first within each: by what they
    declared (oppose, abstain, anything else) and whether they hold a veto."""
    rule = tally.tracker.rule
    standing = tally.standing(target) if target else None
    opposing = set(standing.opponents if standing else tally.by_stance[Stance.OPPOSE])
    abstaining = set(tally.abstaining)
    population = {m.code: m.population or 0 for m in tally.voters}
    groups: dict[tuple[int, bool], list[str]] = {}
    for code in sorted(pool, key=lambda c: -population[c]):
        kind = 0 if code in opposing else 1 if code in abstaining else 2
        # A veto holder differs from the rest only while it opposes.
        groups.setdefault((kind, kind == 0 and code in rule.veto), []).append(code)
    return [tuple(groups[key]) for key in sorted(groups)]


def _count_paths(
    tally: Tally, target: Candidate | None, counted: set[str], pool: tuple[str, ...]
) -> Paths:
    """Count rules (and unanimity): members of one group are interchangeable, so each way is
    how many to take from each group; the smallest ways are found by evaluating one set per
    way. Constructive abstainers are taken largest first (the population third)."""
    groups = _groups(tally, target, pool)
    rule = tally.tracker.rule
    lowest = 1
    if rule.kind == "unanimity":
        lowest = max(len(pool) - len(tally.abstaining), 1)
    elif rule.base is not Base.VOTING:
        lowest = max(tally.verdict.required - len(counted), 1)
    tried = 0
    for size in range(lowest, len(pool) + 1):
        ways: list[tuple[Pick, ...]] = []
        for takes in _compositions(size, [len(g) for g in groups]):
            tried += 1
            chosen = [c for g, k in zip(groups, takes, strict=True) for c in g[:k]]
            if _meets(tally, chosen, target):
                ways.append(tuple(Pick(k, g) for g, k in zip(groups, takes, strict=True) if k))
            if tried >= PATHS_BUDGET // 100:
                return Paths(None, (), pool, False, None, True, tried)
        if ways:
            return _count_result(
                size,
                ways,
                pool,
                tried,
                constructive=bool(tally.abstaining) and rule.abstention is Abstention.CONSTRUCTIVE,
            )
    return Paths(None, (), pool, False, 0, False, tried)


def _count_result(
    size: int, ways: list[tuple[Pick, ...]], pool: tuple[str, ...], tried: int, constructive: bool
) -> Paths:
    total = sum(math.prod(math.comb(len(p.of), p.take) for p in way) for way in ways)
    if constructive:
        total = len(ways)  # abstainers are taken largest first: a way is one set, not any of
    whole = [{c for p in way if p.take == len(p.of) for c in p.of} for way in ways]
    must = tuple(sorted(whole[0].intersection(*whole[1:])))
    if not constructive and size < len(pool) and total == math.comb(len(pool), size):
        return Paths(size, (), pool, True, total, False, tried)
    sets = tuple(tuple(c for p in way for c in p.of[: p.take]) for way in ways[:PATHS_SHOWN])
    shown = () if constructive else tuple(ways[:PATHS_SHOWN])
    return Paths(size, sets, pool, False, total, False, tried, shown, must)


def _compositions(total: int, limits: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every way to write `total` as a sum of one count per group, each within its limit."""
    if not limits:
        if total == 0:
            yield ()
        return
    for first in range(min(total, limits[0]), -1, -1):
        for rest in _compositions(total - first, limits[1:]):
            yield (first, *rest)


def support_all(tally: Tally, codes: Sequence[str], target: Candidate | None) -> Tally:
    return apply(tally, [Hypothesis(c, Stance.SUPPORT, target) for c in codes])


def _target(tally: Tally, candidate: Candidate | None) -> Candidate | None:
    if tally.tracker.kind is not TrackerKind.SELECTION:
        return None
    return (
        candidate or tally.leader or next((s.candidate for s in tally.standings if s.active), None)
    )


def _supporters(tally: Tally, target: Candidate | None) -> tuple[str, ...]:
    if tally.tracker.kind is not TrackerKind.SELECTION:
        return tally.approved
    standing = tally.standing(target)
    return standing.supporters if standing else ()


def _qmv_paths(
    tally: Tally, target: Candidate | None, counted: set[str], pool: tuple[str, ...]
) -> Paths:
    voters = [m.code for m in tally.voters]
    population = {m.code: m.population or 0 for m in tally.voters}
    total = sum(population.values()) or 1
    share = {c: population[c] / total for c in voters}
    have = sum(share[c] for c in counted)
    required = tally.verdict.required
    ordered = sorted(pool, key=lambda c: -share[c])
    tried = 0
    for size in range(max(required - len(counted), 1), len(ordered) + 1):
        if tally.tracker.rule.kind == "rqmv" and size < required - len(counted):
            continue
        if have + sum(share[c] for c in ordered[:size]) < QMV_POPULATION_SHARE - 1e-9:
            continue  # even the largest members cannot reach 65% with this many
        found: list[tuple[str, ...]] = []
        count = 0
        cut = False
        for combo in itertools.combinations(ordered, size):
            tried += 1
            if have + sum(share[c] for c in combo) >= QMV_POPULATION_SHARE - 1e-9:
                count += 1
                if len(found) < PATHS_SHOWN:
                    found.append(combo)
            if tried >= PATHS_BUDGET:
                cut = True
                break
        found = [s for s in found if _meets(tally, s, target)]
        if found:
            return Paths(size, tuple(found), pool, False, None if cut else count, cut, tried)
        if cut:
            return Paths(None, (), pool, False, None, True, tried)
    return Paths(None, (), pool, False, 0, False, tried)


def _meets(tally: Tally, codes: Sequence[str], target: Candidate | None) -> bool:
    """The check by the tally itself, so a listed path always meets the rule as replies say
    (under base=voting: leading once they vote, the most a set of supporters can do)."""
    after = support_all(tally, codes, target) if codes else tally
    verdict = after.verdict
    if tally.tracker.kind is TrackerKind.SELECTION:
        standing = after.standing(target)
        if standing is None:
            return False
        verdict = standing.verdict
    return verdict.outcome is Outcome.REACHED or verdict.provisional


def population_share(tally: Tally, codes: Sequence[str]) -> float:
    total = sum(m.population or 0 for m in tally.voters) or 1
    wanted = set(codes)
    return sum(m.population or 0 for m in tally.voters if m.code in wanted) / total
