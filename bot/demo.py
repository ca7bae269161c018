"""The example tracker: the 2024 Secretary General race as reported in March-April 2024.

Built from the seed stories and replayed through the ordinary commands, so the demo data obeys
the same rules as anything a moderator records.
"""

from __future__ import annotations

DEMO_TRACKER = "nato-sg-2024"

_NL_TIMES = (
    "https://www.curacaochronicle.com/post/world/"
    "with-lithuania-estonia-rutte-now-backed-by-28-of-32-nato-states-to-be-next-leader/"
)
_TELEX = (
    "https://telex.hu/english/2024/03/06/"
    "szijjarto-hungary-certainly-cannot-support-mark-ruttes-election-as-nato-secretary-general"
)

# The 22 allies behind Rutte that the 2 April report counts without naming a date of their own:
# recorded as 'reported' on the day of the report.
_REPORTED_BACKERS = [
    "BE",
    "CA",
    "DK",
    "IS",
    "IT",
    "LU",
    "NL",
    "NO",
    "PT",
    "GR",
    "ES",
    "CZ",
    "PL",
    "BG",
    "LV",
    "SI",
    "AL",
    "HR",
    "ME",
    "MK",
    "FI",
    "SE",
]

DEMO_COMMANDS: tuple[str, ...] = (
    f'tracker new {DEMO_TRACKER} "NATO Secretary General 2024" kind=selection rule=unanimity '
    'candidates="Mark Rutte,Klaus Iohannis" opened=2024-02-22',
    *(
        f"declare {code} support rutte tracker={DEMO_TRACKER} date=2024-02-22 confidence=official"
        for code in ("US", "GB", "FR", "DE")
    ),
    f"declare HU oppose rutte tracker={DEMO_TRACKER} date=2024-03-05 confidence=official "
    'speaker="Foreign Minister Peter Szijjarto" '
    'quote="We definitely cannot support the election of a person to the position of NATO '
    'secretary general who previously wanted to force Hungary to its knees" '
    f"source={_TELEX}",
    f"declare RO support iohannis tracker={DEMO_TRACKER} date=2024-03-12 confidence=official",
    f"declare LT support rutte tracker={DEMO_TRACKER} date=2024-04-02 confidence=official "
    'speaker="President Gitanas Nauseda" '
    'quote="one of those politicians who recognised the Russian threat quite early" '
    f"source={_NL_TIMES}",
    f"declare EE support rutte tracker={DEMO_TRACKER} date=2024-04-02 confidence=official "
    'speaker="Prime Minister Kaja Kallas" '
    'quote="Estonia can back him for NATO\'s Secretary General" '
    f"source={_NL_TIMES}",
    *(
        f"declare {code} support rutte tracker={DEMO_TRACKER} date=2024-04-02 "
        "confidence=reported "
        'speaker="Sources within NATO" '
        'quote="Rutte now has the backing of 28 of the 32 allied nations" '
        f"source={_NL_TIMES}"
        for code in _REPORTED_BACKERS
    ),
)
