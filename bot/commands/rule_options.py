"""The rule options of `tracker new` and `tracker edit` (veto=, excluded=, participants=,
abstention=, base=): their declarations in one block, and the checks against the body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.commands.spec import Param, ParamKind
from bot.errors import NotFound, UserError
from bot.members import Body
from bot.rules import OPTION_NAMES, WEIGHED_KINDS, Abstention, Base, Rule

RULE_OPTION_PARAMS = (
    Param(
        "veto",
        ParamKind.TEXT,
        "Members whose oppose blocks whatever the count (majority, two-thirds, threshold).",
        metavar='"CN,FR,GB,RU,US"',
    ),
    Param(
        "excluded",
        ParamKind.TEXT,
        "Members not taking part (opt-outs): out of every count; none to drop.",
        metavar='"DK,IE"',
    ),
    Param(
        "participants",
        ParamKind.TEXT,
        "Only these members take part (instead of excluded=); none to drop.",
        metavar='"AT,BE,..."',
    ),
    Param(
        "abstention",
        ParamKind.CHOICE,
        "constructive (Art. 31(1) TEU, with unanimity) or ordinary (default).",
        choices=tuple(str(a) for a in Abstention),
    ),
    Param(
        "base",
        ParamKind.CHOICE,
        "members (default) or voting: abstentions and undeclared leave the count.",
        choices=tuple(str(b) for b in Base),
    ),
)
"""Appended to the params of tracker new and tracker edit."""


@dataclass(frozen=True, kw_only=True)
class RuleOptionArgs:
    """The arguments RULE_OPTION_PARAMS fill: tracker new's and tracker edit's args extend it
    (keyword-only, so their own required fields may come first)."""

    veto: str | None = None
    excluded: str | None = None
    participants: str | None = None
    abstention: str | None = None
    base: str | None = None


_LISTS = ("veto", "excluded", "participants")


def given_options(args: object) -> dict[str, Any]:
    """The rule options (and rule=) a command's typed arguments carry, as the checks below take
    them: only those given."""
    given = {name: getattr(args, name) for name in ("rule", *OPTION_NAMES)}
    return {name: value for name, value in given.items() if value is not None}


_CLEAR = ("", "none", "-")


def rule_from_args(args: Mapping[str, Any], rule: Rule, body: Body) -> Rule:
    """`rule` with the options given in args (member names or codes), checked against body."""
    options = {name: _codes(args[name], name, body) for name in _LISTS if name in args}
    options |= {name: args[name] for name in ("abstention", "base") if name in args}
    if "participants" in options and options["participants"].lower() not in _CLEAR:
        options.setdefault("excluded", "none")  # one replaces the other
    if "excluded" in options and options["excluded"].lower() not in _CLEAR:
        options.setdefault("participants", "none")
    rule = rule.with_options(options)
    check_rule_for_body(rule, body)
    return rule


def edited_rule(args: Mapping[str, Any], current: Rule, body: Body) -> Rule:
    """tracker edit: `rule=` sets the kind (and any options written in it); an option of the
    current rule not given again carries over, unless it is cleared with option=none."""
    given: Rule = args.get("rule", current)
    carried = {
        name: getattr(current, name)
        for name in OPTION_NAMES
        if name not in args
        and getattr(given, name) == getattr(Rule(given.kind, given.threshold), name)
        and getattr(current, name) != getattr(Rule(current.kind, current.threshold), name)
    }
    if "participants" in args:
        carried.pop("excluded", None)
    if "excluded" in args:
        carried.pop("participants", None)
    try:
        merged = replace(given, **carried)
    except UserError as exc:
        kept = "; ".join(f"{n}={_text(v)}" for n, v in carried.items())
        raise UserError(
            f"{exc} The tracker's rule has {kept}: give "
            + " ".join(f"{n}=none" for n in carried)
            + " to drop it."
        ) from None
    return rule_from_args(args, merged, body)


def check_rule_for_body(rule: Rule, body: Body) -> None:
    """What a rule needs of its body: population figures, members it names, a reachable count."""
    if rule.kind in WEIGHED_KINDS and not body.weighs_population:
        raise UserError(
            f"{rule.kind} weighs population, and {body.name} has no population figures."
        )
    if rule.abstention is Abstention.CONSTRUCTIVE and not body.weighs_population:
        raise UserError(
            "abstention=constructive counts a third of the population (Art. 31(1) TEU), and "
            f"{body.name} has no population figures."
        )
    codes = {m.code for m in body.members}
    for name in _LISTS:
        unknown = [c for c in getattr(rule, name) if c not in codes]
        if unknown:
            raise UserError(f"{name}=: {', '.join(unknown)} is not a member of {body.name}.")
    taking = {m.code for m in body.members if rule.takes_part(m.code)}
    most = _most_at_once(rule, body)
    if not taking:
        raise UserError(f"Nobody in {body.name} would take part: check excluded=/participants=.")
    if rule.kind == "threshold" and (rule.threshold or 0) > most:
        raise UserError(
            f"threshold={rule.threshold} can never be met: {body.name} has at most "
            f"{most} members{' taking part' if rule.restricted else ''} at a time."
        )


def _most_at_once(rule: Rule, body: Body) -> int:
    """The most members taking part on any one day (a body's roll changes with terms: the
    UN Security Council has 15 at a time out of some 60 ever listed)."""
    days = {m.joined for m in body.members}
    return max(
        (sum(1 for m in body.members_on(d) if rule.takes_part(m.code)) for d in days), default=0
    )


def _codes(text: str, option: str, body: Body) -> str:
    """'China, France' or 'CN,FR' -> 'CN,FR' (names resolved against the body)."""
    if text.strip().lower() in _CLEAR:
        return "none"
    try:
        return ",".join(body.resolve(item).code for item in text.split(",") if item.strip())
    except NotFound as exc:
        raise UserError(f"{option}=: {exc}") from None


def _text(value: object) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)
