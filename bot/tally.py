"""The tally: where a tracked decision stands on a date. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.domain import Candidate, Declaration, Stance, Tracker, TrackerKind, TrackerStatus
from bot.members import Body, Member
from bot.rules import QMV_POPULATION_SHARE, WEIGHED_KINDS, Base, Outcome, Rule, Verdict, evaluate


def closed_on(tracker: Tracker) -> date | None:
    """The day a decided or abandoned tracker closed; None while it is open."""
    return tracker.closed_on if tracker.status is not TrackerStatus.OPEN else None


def reading_day(tracker: Tracker, as_of: date | None, today: date) -> date:
    """The day a tally is read on: `as_of` if given, else a closed tracker's closing day (its
    record ends there), else today."""
    if as_of is not None:
        return as_of
    return closed_on(tracker) or today


def future_as_of(as_of: date | None, today: date) -> str | None:
    """The sentence refusing an as_of after today (a tally is of a day that has happened)."""
    if as_of is None or as_of <= today:
        return None
    return (
        f"as_of={as_of} is in the future: as_of is a calendar date up to today ({today}), "
        "and no tally exists for a day that has not happened."
    )


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
    """The active candidate with the most support; None when nobody leads (a tie, no support)."""
    tied: tuple[Candidate, ...]
    """Candidates sharing the most support (at least one supporter each) when nobody leads."""
    standings: tuple[CandidateStanding, ...]
    by_stance: Mapping[Stance, tuple[str, ...]]
    undeclared: tuple[str, ...]
    approved: tuple[str, ...]
    by_stage: Mapping[str, tuple[str, ...]]
    not_taking_part: tuple[str, ...] = ()
    """Members of the day the rule leaves out (excluded=, participants=): not voters."""
    departed: tuple[str, ...] = ()
    """Members with a standing declaration who are no longer members on the day (a term
    ended): their votes drop out of the count."""

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

    def holdouts(self) -> tuple[str, ...]:
        """Voters not yet counted towards the rule (for a selection: not backing the leader)."""
        counted = set(self.supporters)
        return tuple(m.code for m in self.voters if m.code not in counted)

    @property
    def abstaining(self) -> tuple[str, ...]:
        return self.by_stance[Stance.ABSTAIN]

    def members_data(self) -> list[dict[str, Any]]:
        """One entry per voter with their standing declaration (stance None if undeclared)."""
        selection = self.tracker.kind is TrackerKind.SELECTION
        entries: list[dict[str, Any]] = []
        for member in self.voters:
            declaration = self.positions.get(member.code)
            entry: dict[str, Any] = {
                "code": member.code,
                "name": member.name,
                "stance": str(declaration.stance) if declaration else None,
            }
            if selection:
                candidate = (
                    self.tracker.candidate_named(declaration.candidate_id) if declaration else None
                )
                entry["candidate"] = candidate.name if candidate else None
            else:
                entry["stage"] = declaration.stage if declaration else None
            entry["date"] = declaration.made_on.isoformat() if declaration else None
            entry["source"] = declaration.source if declaration else None
            entry["quote"] = declaration.quote if declaration else None
            entry["declaration_id"] = declaration.id if declaration else None
            entries.append(entry)
        return entries

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tracker": self.tracker.slug,
            "title": self.tracker.title,
            "kind": str(self.tracker.kind),
            "body": self.body.slug,
            "status": str(self.tracker.status),
            "closed": self.tracker.status is not TrackerStatus.OPEN,
            "as_of": self.as_of.isoformat(),
            "rule": str(self.tracker.rule),
            "members_total": len(self.voters),
            "outcome": str(self.verdict.outcome),
            "blocked_by": list(self.verdict.blocked_by),
            "vetoed_by": list(self.verdict.vetoed_by),
            "base": {"of": str(self.tracker.rule.base), "count": self.verdict.base},
            "participants": list(self.voters_codes()),
            "not_taking_part": list(self.not_taking_part),
            "departed": list(self.departed),
            "needed": self.verdict.needed,
            "provisional": self.verdict.provisional,
            "required": self.verdict.required,
            "supporting": len(self.supporters),
            "undeclared": list(self.undeclared),
            "by_stance": {str(s): list(codes) for s, codes in self.by_stance.items()},
        }
        if self.tracker.rule.kind in WEIGHED_KINDS:
            data["population_share"] = round(self.verdict.population_share or 0.0, 4)
            data["population_needed"] = self.verdict.population_needed or QMV_POPULATION_SHARE
            # `needed`: the fewest further supporters meeting both conditions; this: the members
            # condition alone (what the text calls "N more members").
            data["members_needed"] = self.verdict.members_short(len(self.supporters))
        if self.tracker.kind is TrackerKind.SELECTION:
            data["leader"] = self.leader.name if self.leader else None
            data["tied"] = [c.name for c in self.tied]
            data["by_candidate"] = {s.candidate.name: list(s.supporters) for s in self.standings}
            data["withdrawn"] = [s.candidate.name for s in self.standings if not s.active]
        else:
            data["approved"] = list(self.approved)
            data["by_stage"] = {stage: list(codes) for stage, codes in self.by_stage.items()}
        data["members"] = self.members_data()
        return data


def compute_tally(
    tracker: Tracker, body: Body, as_of: date, latest: Mapping[str, Declaration]
) -> Tally:
    """Count the members of `as_of` (an applicant that joined mid-way becomes one more voter).

    A closed tracker's voters are those of its closing day even when read later: a member that
    joined after the question was settled never counts.
    """
    closed = closed_on(tracker)
    day = min(as_of, closed) if closed else as_of
    members = [m for m in body.members_on(day) if m.code != tracker.subject]
    voters = tuple(m for m in members if tracker.rule.takes_part(m.code))
    not_taking_part = tuple(m.code for m in members if not tracker.rule.takes_part(m.code))
    codes = [m.code for m in voters]
    positions = {code: latest[code] for code in codes if code in latest}
    of_day = {m.code for m in members} | {tracker.subject}
    departed = tuple(sorted(c for c, d in latest.items() if c not in of_day and d.made_on <= day))
    by_stance = {
        stance: tuple(c for c in codes if c in positions and positions[c].stance is stance)
        for stance in Stance
    }
    undeclared = tuple(c for c in codes if c not in positions)
    abstain = set(by_stance[Stance.ABSTAIN])
    population = {m.code: m.population or 0 for m in voters} if body.weighs_population else None
    not_voted = len(codes) - sum(
        len(by_stance[s]) for s in (Stance.SUPPORT, Stance.OPPOSE, Stance.ABSTAIN)
    )
    settled = closed is not None or not not_voted

    def judge(support: set[str], oppose: set[str]) -> Verdict:
        return _provisional(
            tracker.rule,
            evaluate(tracker.rule, codes, support, oppose, abstain, population),
            settled,
        )

    standings: list[CandidateStanding] = []
    approved: tuple[str, ...] = ()
    by_stage: dict[str, tuple[str, ...]] = {}
    leader: Candidate | None = None
    tied: tuple[Candidate, ...] = ()
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
            verdict = judge(set(support), set(oppose))
            standings.append(
                CandidateStanding(candidate, support, oppose, candidate.is_active_on(day), verdict)
            )
        active = [s for s in standings if s.active]
        if active:
            # Most support leads; on equal support, a candidate nobody blocks before a blocked
            # one. Candidates still equal share the lead: a tie, not a leader.
            def rank(s: CandidateStanding) -> tuple[int, bool]:
                return len(s.supporters), s.verdict.outcome is not Outcome.BLOCKED

            best = max(active, key=rank)
            level = [s for s in active if rank(s) == rank(best)]
            verdict = best.verdict
            if len(level) == 1:
                leader = best.candidate
            elif best.supporters:
                tied = tuple(s.candidate for s in level)
        else:
            verdict = judge(set(), set())
            verdict = Verdict(
                Outcome.PENDING, verdict.needed, (), verdict.required, base=verdict.base
            )
    else:
        final = tracker.stages[-1] if tracker.stages else None
        approved = tuple(
            c for c in by_stance[Stance.SUPPORT] if final is None or positions[c].stage == final
        )
        by_stage = {
            stage: tuple(c for c in by_stance[Stance.SUPPORT] if positions[c].stage == stage)
            for stage in tracker.stages
        }
        verdict = judge(set(approved), set(by_stance[Stance.OPPOSE]))
    return Tally(
        tracker=tracker,
        body=body,
        as_of=as_of,
        voters=voters,
        positions=positions,
        verdict=verdict,
        leader=leader,
        tied=tied,
        standings=tuple(standings),
        by_stance=by_stance,
        undeclared=undeclared,
        approved=approved,
        by_stage=by_stage,
        not_taking_part=not_taking_part,
        departed=departed,
    )


def _provisional(rule: Rule, verdict: Verdict, settled: bool) -> Verdict:
    """Of those voting, a count met while members have yet to vote is a lead, not a result:
    the next vote may undo it. It is 'met' once every member taking part has declared (support,
    oppose or abstain) or the tracker is closed; until then the outcome stays pending."""
    if rule.base is not Base.VOTING or settled or verdict.outcome is not Outcome.REACHED:
        return verdict
    return replace(verdict, outcome=Outcome.PENDING, provisional=True)


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
