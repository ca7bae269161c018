"""Reading news items: names in English, French and German, whole words only, a stance only
when said plainly, and the explanation a moderator reads."""

from __future__ import annotations

from datetime import date

import pytest

from bench.headlines_bench import SG, SG_KEYWORDS, SWEDEN, Figures, evaluate
from bot.domain import Stance
from bot.feeds.matching import read_item
from bot.members import shipped_body

NATO = shipped_body("nato")
DAY = date(2024, 6, 1)


def one(title: str, summary: str = "", tracker=SG, keywords=SG_KEYWORDS):  # type: ignore[no-untyped-def]
    reading = read_item(title, summary, tracker, NATO, DAY, keywords)
    assert len(reading.suggestions) == 1, reading
    return reading.suggestions[0]


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("Ungarn blockiert Rutte", "HU"),
        ("La Hongrie bloque Rutte", "HU"),
        ("Türkei blockiert Rutte", "TR"),
        ("Turquie: veto contre Rutte", "TR"),
        ("TÜRKIYE blocks Rutte", "TR"),
        ("Turkey blocks Rutte", "TR"),
        ("Schwedens Regierung lobt Rutte", "SE"),
        ("Suède: Rutte salué", "SE"),
        ("Hungarian minister attacks Rutte", "HU"),
        ("Le ministre hongrois critique Rutte", "HU"),
        ("Die ungarische Regierung kritisiert Rutte", "HU"),
        ("Des diplomates hongroises critiquent Rutte", "HU"),
        ("UK says Rutte is a fine choice", "GB"),
    ],
)
def test_member_names_in_three_languages(title: str, code: str) -> None:
    assert one(title).member == code


def test_whole_words_only_and_short_names_in_capitals() -> None:
    for title in (
        "Greeceful Rutte rally",  # not Greece
        "Rutte visits the uk office of a bank",  # 'uk' in lower case is not the UK
        "Rutte speaks to us about it and de facto no one",  # codes are never names
        "Rutte meets Ungarnfreunde",  # not Ungarn
    ):
        assert read_item(title, "", SG, NATO, DAY).suggestions == (), title


def test_no_suggestion_without_a_member_or_off_the_tracker() -> None:
    reading = read_item("Rutte appointed NATO chief", "Allies agree.", SG, NATO, DAY)
    assert reading.suggestions == ()
    assert reading.why_not == "names no member of NATO"
    reading = read_item("Hungary cuts taxes", "Budapest budget.", SG, NATO, DAY)
    assert reading.why_not == "not about nato-sg-2024"


def test_plain_stances_and_explanation() -> None:
    s = one("Ungarn will Rutte nicht als Nato-Generalsekretär unterstützen")
    assert (s.member, s.stance, s.target) == ("HU", Stance.OPPOSE, "Mark Rutte")
    assert s.explanation.startswith("matched 'Ungarn' -> Hungary; 'Rutte' -> Mark Rutte; ")
    assert "-> oppose" in s.explanation
    assert one("Hungary backs Rutte").stance is Stance.SUPPORT
    assert one("Hungary won't back Rutte").stance is Stance.OPPOSE
    assert one("La Hongrie ne soutiendra pas Rutte").stance is Stance.OPPOSE
    assert one("Slovakia endorses Iohannis").target == "Klaus Iohannis"
    assert one("Johannis: Rumänien unterstützt ihn").target == "Klaus Iohannis"  # one letter off


def test_stance_left_to_the_moderator_unless_plain() -> None:
    s = one("Hungary weighs Rutte bid")
    assert s.stance is None
    assert "stance not said plainly: the moderator picks" in s.explanation
    assert one("Hungary will not block Rutte").stance is None  # not blocking is not backing


def test_several_members_in_one_list_and_passive() -> None:
    reading = read_item("US, UK and Germany back Rutte", "", SG, NATO, DAY)
    assert sorted(s.member for s in reading.suggestions) == ["DE", "GB", "US"]
    assert one("Rutte backed by Poland").member == "PL"
    assert one("Turkish envoy told Dutch diplomats that Turkey would back Rutte").member == "TR"


def test_approval_stages_and_the_subject_never_counts() -> None:
    s = one("Hungary's parliament approves Sweden's NATO bid", tracker=SWEDEN, keywords=())
    assert (s.member, s.stance, s.target) == ("HU", Stance.SUPPORT, "parliament")
    assert "'Sweden' -> Sweden (subject)" in s.explanation
    s = one("Ungarischer Präsident unterzeichnet Gesetz zu Schweden", tracker=SWEDEN, keywords=())
    assert (s.member, s.target) == ("HU", "signature")
    reading = read_item("Sweden joins", "Sweden is in.", SWEDEN, NATO, date(2024, 3, 7))
    assert reading.suggestions == ()


def test_the_headline_corpus_figures() -> None:
    """The counts `python -m bench.headlines_bench` prints: a change in the reader moves them,
    and this test says so (update both, and the README, when it is an improvement)."""
    figures = evaluate(NATO)
    assert figures.total == 50
    assert (figures.right, figures.rightly_none) == (31, 7)
    assert (
        figures.false_positive,
        figures.wrong_member,
        figures.wrong_stance,
        figures.wrong_target,
    ) == (7, 0, 4, 1)
    assert figures.missed == 0
    assert isinstance(figures, Figures)
