"""What-if: the tally if some members took other stances, and the smallest sets of members
whose support would meet the rule. Pure: hypothetical declarations go through compute_tally,
the very count every reply uses.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import Candidate, Confidence, Declaration, Stance, TrackerKind
from bot.rules import QMV_POPULATION_SHARE, Outcome
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


def paths(tally: Tally, candidate: Candidate | None = None) -> Paths:
    """Smallest sets of members not yet counted (undecided, opposing, leaning, abstaining,
    backing a rival, undeclared) whose support for `candidate` (default the leader) or
    approval would meet the rule."""
    target = _target(tally, candidate)
    counted = set(_supporters(tally, target))
    pool = tuple(m.code for m in tally.voters if m.code not in counted)
    rule = tally.tracker.rule
    if not pool:
        return Paths(None, (), pool, False, 0, False, 0)
    if rule.kind == "unanimity":
        # An abstention does not block unanimity: everyone else must come round.
        needed = tuple(c for c in pool if c not in tally.abstaining)
        if not needed:
            return Paths(0, ((),), pool, False, 1, False, 0)
        return Paths(len(needed), (needed,), pool, False, 1, False, 1)
    if rule.kind != "qmv":
        size = max(tally.verdict.required - len(counted), 0)
        if size > len(pool):
            return Paths(None, (), pool, False, 0, False, 0)
        return Paths(size, (), pool, True, math.comb(len(pool), size), False, 0)
    return _qmv_paths(tally, target, counted, pool)


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
    """The check by the tally itself, so a listed path always meets the rule as replies say."""
    after = support_all(tally, codes, target)
    if tally.tracker.kind is TrackerKind.SELECTION:
        standing = after.standing(target)
        return standing is not None and standing.verdict.outcome is Outcome.REACHED
    return after.verdict.outcome is Outcome.REACHED


def population_share(tally: Tally, codes: Sequence[str]) -> float:
    total = sum(m.population or 0 for m in tally.voters) or 1
    wanted = set(codes)
    return sum(m.population or 0 for m in tally.voters if m.code in wanted) / total
