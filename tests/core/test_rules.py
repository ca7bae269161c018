"""Decision rules, evaluated on plain sets of member codes."""

from __future__ import annotations

from bot.members import shipped_body
from bot.rules import Outcome, Rule, evaluate

NINE = [f"M{i}" for i in range(9)]


def test_unanimity_needs_everyone_and_any_opponent_blocks() -> None:
    rule = Rule.parse("unanimity")
    verdict = evaluate(rule, NINE, set(NINE[:7]), set(), set())
    assert (verdict.outcome, verdict.needed) == (Outcome.PENDING, 2)
    verdict = evaluate(rule, NINE, set(NINE[:7]), {"M8"}, set())
    assert verdict.outcome is Outcome.BLOCKED and verdict.blocked_by == ("M8",)
    assert evaluate(rule, NINE, set(NINE), set(), set()).outcome is Outcome.REACHED


def test_declared_abstention_does_not_block_unanimity() -> None:
    verdict = evaluate(Rule.parse("unanimity"), NINE, set(NINE[:8]), set(), {"M8"})
    assert verdict.outcome is Outcome.REACHED and verdict.needed == 0


def test_majority_two_thirds_and_threshold() -> None:
    assert Rule.parse("majority").required(9) == 5
    assert Rule.parse("two-thirds").required(9) == 6
    assert Rule.parse("threshold=3").required(9) == 3
    verdict = evaluate(Rule.parse("majority"), NINE, set(NINE[:4]), set(), set())
    assert (verdict.outcome, verdict.needed) == (Outcome.PENDING, 1)
    verdict = evaluate(Rule.parse("majority"), NINE, set(NINE[:2]), set(NINE[4:]), set())
    assert verdict.outcome is Outcome.BLOCKED  # only 2 left undeclared, 3 needed
    assert evaluate(Rule.parse("two-thirds"), NINE, set(NINE[:6]), set(), set()).outcome is (
        Outcome.REACHED
    )


def test_unknown_rule_is_a_clear_error() -> None:
    import pytest

    from bot.errors import UserError

    with pytest.raises(UserError, match="Unknown rule 'plurality'"):
        Rule.parse("plurality")
    with pytest.raises(UserError, match="whole number"):
        Rule.parse("threshold=x")


EU = shipped_body("eu")
POP = {m.code: m.population or 0 for m in EU.members}
CODES = [m.code for m in EU.members]
QMV = Rule.parse("qmv")


def test_qmv_needs_55_percent_of_members_and_65_percent_of_population() -> None:
    big = ["DE", "FR", "IT", "ES", "PL", "RO", "NL", "BE", "CZ", "PT", "SE", "GR", "HU", "AT"]
    small = ["BG"]
    verdict = evaluate(QMV, CODES, set(big + small), set(), set(), POP)
    assert verdict.outcome is Outcome.REACHED  # 15 members, ~88% of population
    fifteen_small = [c for c in CODES if c not in ("DE", "FR", "IT", "ES", "PL")][:15]
    verdict = evaluate(QMV, CODES, set(fifteen_small), set(), set(), POP)
    assert verdict.outcome is Outcome.PENDING and verdict.needed >= 1
    assert verdict.population_share is not None and verdict.population_share < 0.65


def test_qmv_blocking_minority_needs_four_members_over_35_percent() -> None:
    against = {"DE", "FR", "IT", "MT"}  # 4 members, ~47%
    verdict = evaluate(QMV, CODES, set(CODES) - against, against, set(), POP)
    assert verdict.outcome is Outcome.BLOCKED
    assert set(verdict.blocked_by) == against


def test_qmv_fewer_than_four_opponents_is_deemed_attained_once_the_rest_support() -> None:
    against = {"DE", "FR", "IT"}  # ~47% of population but only 3 members
    rest = set(CODES) - against
    verdict = evaluate(QMV, CODES, rest, against, set(), POP)
    assert verdict.outcome is Outcome.REACHED
    one_short = rest - {"MT"}
    assert evaluate(QMV, CODES, one_short, against, set(), POP).outcome is Outcome.PENDING


def test_qmv_abstention_counts_against() -> None:
    abstain = {"DE", "FR", "IT", "ES"}
    verdict = evaluate(QMV, CODES, set(CODES) - abstain, set(), abstain, POP)
    assert verdict.outcome is Outcome.BLOCKED
