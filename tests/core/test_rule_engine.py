"""The rule engine on its own: the stored text form, refused combinations, and properties that
must hold for every vote (hypothesis), including the EU's boundaries to the member."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.members import shipped_body
from bot.rules import Outcome, Rule, blocking_members, evaluate

EU = shipped_body("eu")
EU_CODES = [m.code for m in EU.members_on(date(2025, 6, 1))]
EU_POP = {m.code: m.population or 0 for m in EU.members}
SMALL_SEVEN = ["LT", "SI", "LV", "EE", "CY", "LU", "MT"]


# -- the text form trackers store ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "unanimity",
        "majority",
        "two-thirds",
        "qmv",
        "rqmv",
        "threshold=9",
        "threshold=9;veto=CN,FR,GB,RU,US",
        "two-thirds;base=voting",
        "threshold=9;veto=CN,FR,GB,RU,US;base=voting",
        "qmv;excluded=DK,IE",
        "rqmv;participants=AT,BE,DE,FR",
        "unanimity;abstention=constructive",
    ],
)
def test_the_text_form_round_trips(text: str) -> None:
    assert str(Rule.parse(text)) == text
    assert Rule.parse(str(Rule.parse(text))) == Rule.parse(text)


def test_old_rows_and_aliases_still_parse() -> None:
    assert Rule.parse("threshold:9") == Rule("threshold", 9)
    assert Rule.parse("consensus") == Rule("unanimity")
    assert Rule.parse("qualified-majority") == Rule("qmv")
    assert Rule.parse("threshold=9; veto = us, ru ,cn").veto == ("CN", "RU", "US")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("qmv;veto=US", "veto= goes with majority, two-thirds or threshold=N, not with qmv"),
        ("unanimity;veto=US", "under unanimity every member already has a veto"),
        ("qmv;base=voting", "an abstention there counts as a vote against"),
        ("majority;abstention=constructive", "goes with unanimity (Art. 31(1) TEU)"),
        ("qmv;excluded=DK;participants=FR", "Give excluded= or participants=, not both"),
        ("threshold=9;veto=US;excluded=US", "US would hold a veto but does not take part"),
        ("threshold=9;veto=USA", "takes member codes separated by commas"),
        ("majority;base=present", "base= takes members or voting, not 'present'"),
        ("majority;quorum=8", "'quorum=8' is not a rule option"),
        ("threshold=0", "threshold needs a whole number above 0"),
    ],
)
def test_nonsense_gets_one_clear_sentence(text: str, said: str) -> None:
    with pytest.raises(UserError) as raised:
        Rule.parse(text)
    assert said in str(raised.value)


# -- each rule as the real bodies apply it ------------------------------------------------


def test_qmv_member_count_is_exact_in_whole_numbers() -> None:
    # 0.55 * 20 is 11.000000000000002 in floats: the count must be 11, not 12.
    assert Rule("qmv").required(20) == 11
    assert Rule("qmv").required(27) == 15
    assert Rule("rqmv").required(27) == 20
    assert Rule("rqmv").required(25) == 18


def test_blocking_minority_of_participants_art_238_3() -> None:
    everyone = Rule("qmv")
    assert blocking_members(everyone, EU_CODES, EU_POP) == 4
    # Without DE, FR and IT (Art. 238(3)(a) TFEU): ES and PL hold 19.11 of the remaining
    # 53.11%, over 35% of the participants, so a blocking minority needs those two plus one.
    rule = Rule("qmv", excluded=("DE", "FR", "IT"))
    taking = [c for c in EU_CODES if rule.takes_part(c)]
    total = sum(EU_POP[c] for c in taking)
    assert (EU_POP["ES"] + EU_POP["PL"]) * 100 > 35 * total > EU_POP["ES"] * 100
    assert blocking_members(rule, taking, EU_POP) == 3
    against = {"ES", "PL", "MT"}
    support = set(taking) - against
    assert evaluate(rule, EU_CODES, support, against, set(), EU_POP).outcome is Outcome.BLOCKED
    everyone = evaluate(Rule("qmv"), EU_CODES, support | {"DE", "FR", "IT"}, against, set(), EU_POP)
    assert everyone.outcome is Outcome.REACHED  # with all 27, three members cannot block


def test_rqmv_needs_72_percent_of_members() -> None:
    rule = Rule("rqmv")
    by_size = sorted(EU_CODES, key=lambda c: -EU_POP[c])
    nineteen = set(by_size[:19])
    verdict = evaluate(rule, EU_CODES, nineteen, set(EU_CODES) - nineteen, set(), EU_POP)
    assert verdict.outcome is Outcome.BLOCKED and verdict.required == 20
    twenty = set(by_size[:20])
    verdict = evaluate(rule, EU_CODES, twenty, set(EU_CODES) - twenty, set(), EU_POP)
    assert verdict.outcome is Outcome.REACHED


def test_rqmv_knows_no_deemed_attained_clause() -> None:
    # DE, FR and IT (46.9%) against: under qmv three members cannot block, under rqmv they do.
    against = {"DE", "FR", "IT"}
    support = set(EU_CODES) - against
    assert evaluate(Rule("qmv"), EU_CODES, support, against, set(), EU_POP).outcome is (
        Outcome.REACHED
    )
    assert evaluate(Rule("rqmv"), EU_CODES, support, against, set(), EU_POP).outcome is (
        Outcome.BLOCKED
    )


def _constructive(abstain: set[str]) -> Outcome:
    rule = Rule.parse("unanimity;abstention=constructive")
    support = set(EU_CODES) - abstain
    return evaluate(rule, EU_CODES, support, set(), abstain, EU_POP).outcome


def test_constructive_abstention_just_under_and_just_over_a_third_of_population() -> None:
    # Nine of 27 abstain: a third of the members. DE+ES+7 small hold 31.58%; DE+IT+7 34.03%.
    under = {"DE", "ES", *SMALL_SEVEN}
    over = {"DE", "IT", *SMALL_SEVEN}
    assert len(under) == len(over) == 9
    assert _constructive(under) is Outcome.REACHED
    assert _constructive(over) is Outcome.BLOCKED


def test_constructive_abstention_just_under_and_just_over_a_third_of_members() -> None:
    # DE, FR and IT hold 46.9%: eight abstainers are under a third of 27, nine are a third.
    eight = {"DE", "FR", "IT", *SMALL_SEVEN[:5]}
    nine = {"DE", "FR", "IT", *SMALL_SEVEN[:6]}
    assert _constructive(eight) is Outcome.REACHED
    assert _constructive(nine) is Outcome.BLOCKED
    plain = Rule("unanimity")
    assert evaluate(plain, EU_CODES, set(EU_CODES) - nine, set(), nine, EU_POP).outcome is (
        Outcome.REACHED
    )


def test_of_those_voting_leaves_abstentions_and_undeclared_out() -> None:
    voters = [f"M{i}" for i in range(30)]
    rule = Rule.parse("two-thirds;base=voting")
    support, oppose = set(voters[:10]), set(voters[10:15])
    abstain = set(voters[15:25])
    verdict = evaluate(rule, voters, support, oppose, abstain)
    assert (verdict.outcome, verdict.required, verdict.base) == (Outcome.REACHED, 10, 15)
    of_members = evaluate(Rule("two-thirds"), voters, support, oppose, abstain)
    assert of_members.outcome is Outcome.BLOCKED and of_members.required == 20
    # One more against: 10 of 16 is under two thirds; the five undeclared could still carry it
    # (two of them: 12 of 18), but one opponent turning is fewer (11 of 16, the base unchanged).
    verdict = evaluate(rule, voters, support, oppose | {voters[25]}, abstain)
    assert (verdict.outcome, verdict.needed) == (Outcome.PENDING, 1)


def test_nobody_voting_never_meets_a_rule_of_those_voting() -> None:
    voters = ["A", "B", "C"]
    verdict = evaluate(Rule.parse("two-thirds;base=voting"), voters, set(), set(), set(voters))
    assert verdict.outcome is Outcome.BLOCKED


# -- properties ---------------------------------------------------------------------------

CODES = [f"{a}{b}" for a in "ABCDEFG" for b in "ABCDE"][:30]


@st.composite
def votes(draw: st.DrawFn) -> tuple[list[str], dict[str, str], dict[str, int]]:
    """Members, each one's position (support, oppose, abstain, none), and populations."""
    n = draw(st.integers(min_value=1, max_value=30))
    voters = CODES[:n]
    positions = {c: draw(st.sampled_from(["support", "oppose", "abstain", "none"])) for c in voters}
    population = {c: draw(st.integers(min_value=1, max_value=10_000)) for c in voters}
    return voters, positions, population


@st.composite
def rules(draw: st.DrawFn, voters: Sequence[str]) -> Rule:
    kind = draw(st.sampled_from(["unanimity", "majority", "two-thirds", "qmv", "rqmv", "t"]))
    excluded = tuple(draw(st.sets(st.sampled_from(list(voters)), max_size=len(voters) - 1)))
    if kind == "t":
        rule = Rule("threshold", draw(st.integers(min_value=1, max_value=len(voters))))
    else:
        rule = Rule(kind)
    options: dict[str, object] = {"excluded": excluded}
    taking = [c for c in voters if c not in excluded]
    if rule.kind in ("majority", "two-thirds", "threshold"):
        options["veto"] = tuple(draw(st.sets(st.sampled_from(taking), max_size=5)))
        options["base"] = draw(st.sampled_from(["members", "voting"]))
    if rule.kind == "unanimity":
        options["abstention"] = draw(st.sampled_from(["ordinary", "constructive"]))
    return Rule.parse(
        ";".join([str(rule), *(f"{k}={_text(v)}" for k, v in options.items() if _text(v))])
    )


def _text(value: object) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def _split(positions: Mapping[str, str]) -> tuple[set[str], set[str], set[str]]:
    return tuple(  # type: ignore[return-value]
        {c for c, p in positions.items() if p == stance}
        for stance in ("support", "oppose", "abstain")
    )


@settings(deadline=None)  # a shared, loaded machine: correctness, not speed
@given(st.data())
def test_adding_a_supporter_never_unmeets_a_rule(data: st.DataObject) -> None:
    voters, positions, population = data.draw(votes())
    rule = data.draw(rules(voters))
    others = [c for c in voters if positions[c] != "support"]
    if not others:
        return
    moved = data.draw(st.sampled_from(others))
    before = evaluate(rule, voters, *_split(positions), population)
    after = evaluate(rule, voters, *_split({**positions, moved: "support"}), population)
    if before.outcome is Outcome.REACHED:
        assert after.outcome is Outcome.REACHED, (rule, moved, positions)


@settings(deadline=None)  # a shared, loaded machine: correctness, not speed
@given(st.data())
def test_a_veto_members_oppose_always_blocks(data: st.DataObject) -> None:
    voters, positions, population = data.draw(votes())
    rule = data.draw(rules(voters))
    if not rule.veto:
        return
    vetoer = data.draw(st.sampled_from(list(rule.veto)))
    verdict = evaluate(rule, voters, *_split({**positions, vetoer: "oppose"}), population)
    assert verdict.outcome is Outcome.BLOCKED and vetoer in verdict.vetoed_by
    abstaining = evaluate(rule, voters, *_split({**positions, vetoer: "abstain"}), population)
    assert vetoer not in abstaining.vetoed_by


def _qmv_oracle(
    rule: Rule, voters: Sequence[str], support: set[str], population: Mapping[str, int]
) -> bool:
    """Everybody declared, the rest against: the treaty text, written out independently."""
    taking = [c for c in voters if rule.takes_part(c)]
    support = support & set(taking)
    against = set(taking) - support
    total = sum(population[c] for c in taking)
    members_ok = len(support) * 100 >= 55 * len(taking)
    population_ok = sum(population[c] for c in support) * 100 >= 65 * total
    if not rule.restricted:
        blocking_size = 4
    else:
        sizes = sorted((population[c] for c in taking), reverse=True)
        blocking_size = next(
            (i + 1 for i in range(1, len(sizes) + 1) if sum(sizes[:i]) * 100 > 35 * total),
            len(taking) + 1,
        )
    blocked = len(against) >= blocking_size and sum(population[c] for c in against) * 100 > (
        35 * total
    )
    return members_ok and (population_ok or not blocked)


@settings(deadline=None)  # a shared, loaded machine: correctness, not speed
@given(st.data())
def test_qmv_matches_the_treaty_on_every_fully_declared_vote(data: st.DataObject) -> None:
    voters, _, population = data.draw(votes())
    excluded = data.draw(st.sets(st.sampled_from(voters), max_size=len(voters) - 1))
    rule = Rule("qmv", excluded=tuple(excluded))
    support = data.draw(st.sets(st.sampled_from(voters)))
    against = set(voters) - support
    verdict = evaluate(rule, voters, support, against, set(), population)
    assert (verdict.outcome is Outcome.REACHED) == _qmv_oracle(rule, voters, support, population)


def _hundred(n_support: int, n: int, support_units: int) -> dict[str, int]:
    """n members; the first n_support share `support_units` of 100 units exactly (x1000)."""
    population = {}
    for i, code in enumerate(CODES[:n]):
        if i < n_support:
            share = support_units * 1000 // n_support + (
                support_units * 1000 % n_support if i == 0 else 0
            )
        else:
            rest = (100 - support_units) * 1000
            share = rest // (n - n_support) + (rest % (n - n_support) if i == n_support else 0)
        population[code] = share
    assert sum(population.values()) == 100_000
    return population


@pytest.mark.parametrize("n", [20, 27])
@pytest.mark.parametrize("units", [64, 65, 66])
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_eu_55_65_boundaries_to_the_member(n: int, units: int, offset: int) -> None:
    """At exactly 55% of members and 65% of population, and one member / one percent either
    side; against are at least four members, so a short population is a blocking minority."""
    required = Rule("qmv").required(n)
    n_support = required + offset
    population = _hundred(n_support, n, units)
    support = set(CODES[:n_support])
    against = set(CODES[:n]) - support
    verdict = evaluate(Rule("qmv"), CODES[:n], support, against, set(), population)
    met = n_support >= required and units >= 65
    assert (verdict.outcome is Outcome.REACHED) == met
    assert verdict.outcome is (Outcome.REACHED if met else Outcome.BLOCKED)


def test_the_real_eu_blocking_minority_boundary() -> None:
    """Three members with over 35% cannot block (deemed attained); four can; four with 35%
    or less cannot."""
    three = {"DE", "FR", "IT"}
    four = three | {"MT"}
    for against, outcome in ((three, Outcome.REACHED), (four, Outcome.BLOCKED)):
        support = set(EU_CODES) - against
        assert evaluate(Rule("qmv"), EU_CODES, support, against, set(), EU_POP).outcome is outcome
    # DE and FR (33.66%) with two small members stay under 35%: not a blocking minority.
    small = {"DE", "FR", "LU", "MT"}
    verdict = evaluate(Rule("qmv"), EU_CODES, set(EU_CODES) - small, small, set(), EU_POP)
    assert verdict.outcome is Outcome.REACHED
    # 14 members in favour is one short of 15, whatever their population.
    by_size = sorted(EU_CODES, key=lambda c: -EU_POP[c])
    fourteen = set(by_size[:14])
    verdict = evaluate(Rule("qmv"), EU_CODES, fourteen, set(EU_CODES) - fourteen, set(), EU_POP)
    assert verdict.outcome is Outcome.BLOCKED and verdict.members_short(14) == 1
