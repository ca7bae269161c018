"""Who holds a decision up: every voter not yet counted towards the rule, grouped by why.

The groups partition `Tally.holdouts()`, so the list always adds up to the header's count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import Stance, TrackerKind
from bot.replies import Field
from bot.tally import Tally


@dataclass(frozen=True)
class HoldoutGroup:
    key: str
    """Stable name for data: oppose, rival, part-way, leaning, undecided, abstain, undeclared."""
    heading: str
    codes: tuple[str, ...]
    notes: dict[str, str] = field(default_factory=dict)
    """Per member, what it backs or leans to: 'Klaus Iohannis', 'towards approving'."""


_ORDER = ("oppose", "rival", "part-way", "leaning", "undecided", "abstain", "undeclared")


def holdout_groups(tally: Tally) -> list[HoldoutGroup]:
    """The non-empty groups, in the order a reader weighs them: opponents first."""
    codes: dict[str, list[str]] = {key: [] for key in _ORDER}
    notes: dict[str, dict[str, str]] = {key: {} for key in _ORDER}
    for code in tally.holdouts():
        key, note = _classify(tally, code)
        codes[key].append(code)
        if note:
            notes[key][code] = note
    headings = {
        "oppose": "Opposing",
        "rival": "Backing a rival" if tally.leader else "Backing a candidate (no one leads)",
        "part-way": "Part-way, not yet approved",
        "leaning": "Leaning (not counted)",
        "undecided": "Undecided",
        "abstain": "Abstaining",
        "undeclared": "Not declared",
    }
    return [
        HoldoutGroup(key, headings[key], tuple(codes[key]), notes[key])
        for key in _ORDER
        if codes[key]
    ]


def _classify(tally: Tally, code: str) -> tuple[str, str | None]:
    declaration = tally.positions.get(code)
    if declaration is None:
        return "undeclared", None
    tracker, stance = tally.tracker, declaration.stance
    selection = tracker.kind is TrackerKind.SELECTION
    candidate = tracker.candidate_named(declaration.candidate_id)
    if stance is Stance.SUPPORT:
        if selection:
            name = candidate.name if candidate else "a candidate"
            active = candidate is None or candidate.is_active_on(tally.as_of)
            return "rival", name if active else f"{name}, withdrawn"
        return "part-way", f"{declaration.stage} done" if declaration.stage else "no stage yet"
    if stance in (Stance.LEAN_SUPPORT, Stance.LEAN_OPPOSE):
        direction = "towards" if stance is Stance.LEAN_SUPPORT else "against"
        target = candidate.name if candidate else ("a candidate" if selection else "approving")
        return "leaning", f"{direction} {target}"
    if stance is Stance.OPPOSE:
        return "oppose", candidate.name if candidate and candidate != tally.leader else None
    return ("abstain" if stance is Stance.ABSTAIN else "undecided"), None


def holdout_fields(tally: Tally) -> list[Field]:
    """One field per group, members alphabetical, each with what it backs or leans to."""
    fields = []
    for group in holdout_groups(tally):
        items = []
        for code in sorted(group.codes, key=lambda c: tally.body.get(c).name):
            label, note = tally.body.get(code).label, group.notes.get(code)
            items.append(f"{label} ({note})" if note else label)
        fields.append(Field(f"{group.heading} ({len(group.codes)})", tuple(items)))
    return fields


def holdouts_line(tally: Tally) -> str:
    """'4 members are not backing Mark Rutte.' (the sum of the groups below)."""
    count = len(tally.holdouts())
    members = f"{count} member{'s' if count != 1 else ''}"
    verb = "is" if count == 1 else "are"
    if count == 0 and tally.tracker.kind is TrackerKind.APPROVAL:
        text = "Every member is counted as approving."
    elif count == 0 and tally.leader is not None:
        text = f"Every member backs {tally.leader.name}."
    elif tally.tracker.kind is TrackerKind.APPROVAL:
        text = f"{members} {verb} not counted as approving yet."
    elif tally.leader is not None:
        text = f"{members} {verb} not backing {tally.leader.name}."
    else:
        text = f"No candidate leads: {members} {verb} listed."
    abstaining = len(tally.abstaining)
    if abstaining and tally.tracker.rule.kind == "unanimity":
        text += f" {abstaining} abstaining: under unanimity an abstention does not block."
    return text
