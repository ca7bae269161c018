"""Parameters several commands share, declared once so they read the same everywhere."""

from __future__ import annotations

from bot.commands.converters import MAX_NAME
from bot.commands.spec import Param, ParamKind
from bot.domain import Confidence, TrackerVisibility

TRACKER_POS = Param(
    "tracker", ParamKind.TRACKER, "Tracker slug; optional if only one is open.", positional=True
)
TRACKER_OPT = Param("tracker", ParamKind.TRACKER, "Tracker slug; optional if only one is open.")
TRACKER_REQUIRED = Param(
    "tracker", ParamKind.TRACKER, "Tracker slug.", required=True, positional=True
)
AS_OF = Param(
    "as_of",
    ParamKind.DATE,
    "Show the tally as it stood on this date (YYYY-MM-DD).",
    metavar="YYYY-MM-DD",
)
USER = Param("user", ParamKind.USER, "The user (@mention or id).", required=True, positional=True)
DATE = Param(
    "date",
    ParamKind.DATE,
    "When it was said (YYYY-MM-DD); default today.",
    metavar="YYYY-MM-DD",
    field="made_on",
)
VISIBILITY = Param(
    "visibility",
    ParamKind.CHOICE,
    "public or private (default).",
    choices=tuple(str(v) for v in TrackerVisibility),
    enum=TrackerVisibility,
)
SOURCE = Param("source", ParamKind.URL, "Where it was reported (http(s) URL).", metavar="URL")
QUOTE = Param(
    "quote", ParamKind.TEXT, "What was said, in quotes.", metavar='"..."', max_length=4000
)
SPEAKER = Param(
    "speaker",
    ParamKind.TEXT,
    'Who said it: "Foreign Minister Peter Szijjarto".',
    metavar='"..."',
    max_length=MAX_NAME,
)
CONFIDENCE = Param(
    "confidence",
    ParamKind.CHOICE,
    "official (on the record) or reported (sources said).",
    choices=Confidence.choices(),
    enum=Confidence,
)
CONDITION = Param(
    "condition",
    ParamKind.TEXT,
    "A condition attached to the position.",
    metavar='"..."',
)
PROVENANCE = (SOURCE, QUOTE, SPEAKER, CONFIDENCE, CONDITION)
"""What was said, by whom, how sure: given when declaring, corrected by amend."""
