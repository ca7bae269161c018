"""The tally: where a tracked decision stands on a date. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain import Candidate, Declaration, Stance, Tracker, TrackerKind
from bot.members import Body, Member
from bot.rules import Outcome, Verdict, evaluate


@dataclass(frozen=True)
class CandidateStanding:
    candidate: Candidate
    supporters: tuple[str, ...]
    opponents: tuple[str, ...]
    active: bool
    verdict: Verdict


@dataclass(frozen=True)
class Tally:
    tracker: Tracker
    body: Body
    as_of: date
    voters: tuple[Member, ...]
    positions: Mapping[str, Declaration]
    """Each voter's current declaration (latest by date, retractions ignored)."""
    verdict: Verdict
    leader: Candidate | None
    standings: tuple[CandidateStanding, ...]
    by_stance: Mapping[Stance, tuple[str, ...]]
    undeclared: tuple[str, ...]
    approved: tuple[str, ...]
    by_stage: Mapping[str, tuple[str, ...]]

    @property
    def supporters(self) -> tuple[str, ...]:
        """Who counts towards the rule: the leader's backers, or the approvers."""
        if self.tracker.kind is TrackerKind.APPROVAL:
            return self.approved
        standing = self.standing(self.leader)
        return standing.supporters if standing else ()

    def standing(self, candidate: Candidate | None) -> CandidateStanding | None:
        return next((s for s in self.standings if s.candidate == candidate), None)

    def voters_codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.voters)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tracker": self.tracker.slug,
            "title": self.tracker.title,
            "kind": str(self.tracker.kind),
            "body": self.body.slug,
            "status": str(self.tracker.status),
            "as_of": self.as_of.isoformat(),
            "rule": str(self.tracker.rule),
            "members_total": len(self.voters),
            "outcome": str(self.verdict.outcome),
            "blocked_by": list(self.verdict.blocked_by),
            "needed": self.verdict.needed,
            "required": self.verdict.required,
            "supporting": len(self.supporters),
            "undeclared": list(self.undeclared),
            "by_stance": {str(s): list(codes) for s, codes in self.by_stance.items()},
        }
        if self.verdict.population_share is not None:
            data["population_share"] = round(self.verdict.population_share, 4)
        if self.tracker.kind is TrackerKind.SELECTION:
            data["leader"] = self.leader.name if self.leader else None
            data["by_candidate"] = {s.candidate.name: list(s.supporters) for s in self.standings}
            data["withdrawn"] = [s.candidate.name for s in self.standings if not s.active]
        else:
            data["approved"] = list(self.approved)
            data["by_stage"] = {stage: list(codes) for stage, codes in self.by_stage.items()}
        return data


def compute_tally(
    tracker: Tracker, body: Body, as_of: date, latest: Mapping[str, Declaration]
) -> Tally:
    """Count the members of `as_of` (an applicant that joined mid-way becomes one more voter)."""
    voters = tuple(m for m in body.members_on(as_of) if m.code != tracker.subject)
    codes = [m.code for m in voters]
    positions = {code: latest[code] for code in codes if code in latest}
    by_stance = {
        stance: tuple(c for c in codes if c in positions and positions[c].stance is stance)
        for stance in Stance
    }
    undeclared = tuple(c for c in codes if c not in positions)
    abstain = set(by_stance[Stance.ABSTAIN])
    population = {m.code: m.population or 0 for m in voters} if body.weighs_population else None

    standings: list[CandidateStanding] = []
    approved: tuple[str, ...] = ()
    by_stage: dict[str, tuple[str, ...]] = {}
    leader: Candidate | None = None
    if tracker.kind is TrackerKind.SELECTION:
        for candidate in tracker.candidates:
            support = _with(positions, codes, Stance.SUPPORT, candidate.id)
            oppose = tuple(
                c
                for c in codes
                if c in positions
                and positions[c].stance is Stance.OPPOSE
                and positions[c].candidate_id in (candidate.id, None)
            )
            verdict = evaluate(tracker.rule, codes, set(support), set(oppose), abstain, population)
            standings.append(
                CandidateStanding(
                    candidate, support, oppose, candidate.is_active_on(as_of), verdict
                )
            )
        active = [s for s in standings if s.active]
        if active:
            # Most support leads; on a tie, a candidate nobody blocks before a blocked one.
            best = max(
                active,
                key=lambda s: (len(s.supporters), s.verdict.outcome is not Outcome.BLOCKED),
            )
            leader, verdict = best.candidate, best.verdict
        else:
            verdict = evaluate(tracker.rule, codes, set(), set(), abstain, population)
            verdict = Verdict(Outcome.PENDING, verdict.needed, (), verdict.required)
    else:
        final = tracker.stages[-1] if tracker.stages else None
        approved = tuple(
            c for c in by_stance[Stance.SUPPORT] if final is None or positions[c].stage == final
        )
        by_stage = {
            stage: tuple(c for c in by_stance[Stance.SUPPORT] if positions[c].stage == stage)
            for stage in tracker.stages
        }
        verdict = evaluate(
            tracker.rule, codes, set(approved), set(by_stance[Stance.OPPOSE]), abstain, population
        )
    return Tally(
        tracker=tracker,
        body=body,
        as_of=as_of,
        voters=voters,
        positions=positions,
        verdict=verdict,
        leader=leader,
        standings=tuple(standings),
        by_stance=by_stance,
        undeclared=undeclared,
        approved=approved,
        by_stage=by_stage,
    )


def _with(
    positions: Mapping[str, Declaration], codes: list[str], stance: Stance, candidate_id: int
) -> tuple[str, ...]:
    return tuple(
        c
        for c in codes
        if c in positions
        and positions[c].stance is stance
        and positions[c].candidate_id == candidate_id
    )
