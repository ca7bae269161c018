"""Member resolution: codes, names, aliases, accents; 'did you mean' for the rest."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import NotFound
from bot.members import flag_emoji, shipped_body

NATO = shipped_body("nato")
EU = shipped_body("eu")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GB", "GB"),
        ("uk", "GB"),
        ("Britain", "GB"),
        ("United Kingdom", "GB"),
        ("US", "US"),
        ("USA", "US"),
        ("u.s.", "US"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("TURKIYE", "TR"),
        ("Czech Republic", "CZ"),
        ("czechia", "CZ"),
        ("Holland", "NL"),
        ("the Netherlands", "NL"),
        ("lith", "LT"),
        ("North Macedonia", "MK"),
    ],
)
def test_resolves_codes_names_and_aliases(text: str, code: str) -> None:
    assert NATO.resolve(text).code == code


def test_eu_accepts_el_for_greece() -> None:
    assert EU.resolve("EL").code == "GR"
    assert EU.resolve("Greece").code == "GR"


def test_unknown_member_suggests_the_closest() -> None:
    with pytest.raises(NotFound, match="Did you mean Lithuania"):
        NATO.resolve("Lithuana")


def test_member_of_another_body_is_unknown() -> None:
    with pytest.raises(NotFound, match="not a member of NATO"):
        NATO.resolve("Austria")


def test_membership_changes_over_time() -> None:
    assert len(NATO.members) == 32
    assert len(NATO.members_on(date(2023, 4, 3))) == 30
    assert len(NATO.members_on(date(2023, 4, 4))) == 31  # Finland joined
    assert len(NATO.members_on(date(2024, 3, 6))) == 31
    assert len(NATO.members_on(date(2024, 3, 7))) == 32  # Sweden joined


def test_search_ranks_prefix_matches_first() -> None:
    assert NATO.search("lith")[0].code == "LT"
    assert NATO.search("uk")[0].code == "GB"
    assert len(NATO.search("")) == 25


def test_flags_come_from_codes() -> None:
    assert flag_emoji("LT") == "🇱🇹"
    assert NATO.get("GB").flag == "🇬🇧"


def test_eu_populations_sum_to_the_council_total() -> None:
    total = sum(m.population or 0 for m in EU.members)
    assert len(EU.members) == 27
    assert abs(total - 451_028_881) / 451_028_881 < 0.001
    assert EU.weighs_population and not NATO.weighs_population
