"""Which look each member's cell takes, and the colours: Okabe-Ito, told apart by readers with
any common colour-vision deficiency; the two marks that share a hue also carry a hatch."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain import Stance, TrackerKind
from bot.rules import Outcome
from bot.tally import Tally


class CellKind(StrEnum):
    SUPPORT = "support"
    PART_WAY = "part-way"
    RIVAL = "rival"
    LEAN_SUPPORT = "lean-support"
    UNDECIDED = "undecided"
    LEAN_OPPOSE = "lean-oppose"
    OPPOSE = "oppose"
    ABSTAIN = "abstain"
    UNDECLARED = "undeclared"
    NOT_TAKING_PART = "not-taking-part"


@dataclass(frozen=True)
class Look:
    fill: str
    text: str
    hatch: str | None
    label: str
    edge: str | None = None
    """A dashed outline for a cell with no fill of its own (a member not taking part)."""


LOOKS: dict[CellKind, Look] = {
    CellKind.SUPPORT: Look("#009E73", "#FFFFFF", None, "supports"),
    CellKind.PART_WAY: Look("#009E73", "#FFFFFF", "..", "part-way (stage)"),
    CellKind.RIVAL: Look("#0072B2", "#FFFFFF", "//", "backs a rival"),
    CellKind.LEAN_SUPPORT: Look("#56B4E9", "#000000", None, "leans for"),
    CellKind.UNDECIDED: Look("#F0E442", "#000000", None, "undecided"),
    CellKind.LEAN_OPPOSE: Look("#E69F00", "#000000", None, "leans against"),
    CellKind.OPPOSE: Look("#D55E00", "#FFFFFF", None, "opposes"),
    CellKind.ABSTAIN: Look("#CC79A7", "#000000", None, "abstains"),
    CellKind.UNDECLARED: Look("#DDDDDD", "#000000", None, "not declared"),
    CellKind.NOT_TAKING_PART: Look("#FFFFFF", "#555555", None, "not taking part", "#777777"),
}
"""The one palette: the card, the timeline and the web page's CSS (adapters/web/static/
style.css, whose --support ... variables a test holds equal to these fills) all use it."""
VETO_LABEL = "veto"
"""Written after a veto holder's code on the card ('US veto')."""

OUTCOME_FILL = {
    Outcome.REACHED: "#009E73",
    Outcome.BLOCKED: "#D55E00",
    Outcome.PENDING: "#F0E442",
}
OUTCOME_TEXT = {Outcome.REACHED: "#FFFFFF", Outcome.BLOCKED: "#FFFFFF", Outcome.PENDING: "#000000"}
THRESHOLD = "#000000"
SERIES = ("#009E73", "#0072B2", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
"""Timeline series, one per candidate: the first (an approval's one series) in the support
colour of the card and page, then the rest of Okabe-Ito."""

_BY_STANCE = {
    Stance.LEAN_SUPPORT: CellKind.LEAN_SUPPORT,
    Stance.UNDECIDED: CellKind.UNDECIDED,
    Stance.LEAN_OPPOSE: CellKind.LEAN_OPPOSE,
    Stance.OPPOSE: CellKind.OPPOSE,
    Stance.ABSTAIN: CellKind.ABSTAIN,
}


def cell_kind(tally: Tally, code: str) -> CellKind:
    """A member's look: not taking part, counted support, support short of the final stage,
    support for another candidate than the leader, or the stance as declared."""
    if code in tally.not_taking_part:
        return CellKind.NOT_TAKING_PART
    declaration = tally.positions.get(code)
    if declaration is None:
        return CellKind.UNDECLARED
    if declaration.stance is not Stance.SUPPORT:
        return _BY_STANCE[declaration.stance]
    if tally.tracker.kind is TrackerKind.APPROVAL:
        return CellKind.SUPPORT if code in tally.approved else CellKind.PART_WAY
    if tally.leader is not None and declaration.candidate_id != tally.leader.id:
        return CellKind.RIVAL
    return CellKind.SUPPORT
