"""Every command, declared once. Adapters, help and completion all read this list."""

from __future__ import annotations

from typing import Any

from bot.commands import (
    amending,
    bodies,
    charts,
    exchange,
    moderators,
    reading,
    recording,
    subscriptions,
    tracker_edits,
    trackers,
    whatif,
)
from bot.commands.context import Context
from bot.commands.converters import MAX_NAME
from bot.commands.parser import near_command
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import (
    STANCE_ALIASES,
    Confidence,
    Stance,
    TrackerKind,
    TrackerStatus,
    TrackerVisibility,
)
from bot.errors import UserError
from bot.replies import Field, Reply
from bot.rules import RULE_NAMES

TRACKER_POS = Param(
    "tracker", ParamKind.TRACKER, "Tracker slug; optional if only one is open.", positional=True
)
TRACKER_OPT = Param("tracker", ParamKind.TRACKER, "Tracker slug; optional if only one is open.")
AS_OF = Param(
    "as_of",
    ParamKind.DATE,
    "Show the tally as it stood on this date (YYYY-MM-DD).",
    metavar="YYYY-MM-DD",
)
USER = Param("user", ParamKind.USER, "The user (@mention or id).", required=True, positional=True)
DATE = Param(
    "date", ParamKind.DATE, "When it was said (YYYY-MM-DD); default today.", metavar="YYYY-MM-DD"
)
TRACKER_REQUIRED = Param(
    "tracker", ParamKind.TRACKER, "Tracker slug.", required=True, positional=True
)
VISIBILITY = Param(
    "visibility",
    ParamKind.CHOICE,
    "public or private (default).",
    choices=tuple(str(v) for v in TrackerVisibility),
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
)
CONDITION = Param(
    "condition",
    ParamKind.TEXT,
    "A condition attached to the position.",
    metavar='"..."',
)


def _help(ctx: Context, args: dict[str, Any]) -> Reply:
    return help_reply(args.get("command"))


def help_reply(topic: str | None) -> Reply:
    if topic:
        words = tuple(topic.lower().lstrip("/").split())
        if words[:1] == ("tally",):
            words = words[1:]
        matches = [c for c in COMMANDS if c.path[: len(words)] == words] if words else [TALLY]
        if not matches:
            names = ", ".join(sorted({c.path[0] for c in COMMANDS if c.path}))
            near = near_command(words, COMMANDS)
            hint = f" Did you mean /tally help {near}?" if near else ""
            raise UserError(f"No command '{topic}'.{hint} Commands: {names}.")
        fields = []
        for command in matches:
            detail = [command.summary]
            detail += [f"{p.usage()}: {p.help}" for p in command.params]
            detail += [f"e.g. {e}" for e in command.examples]
            if command.moderator_only:
                detail.append(
                    "Moderators or channel managers only."
                    if command.channel_managers
                    else "Moderators only."
                )
            fields.append(Field(command.usage(), tuple(detail), separator="\n"))
        return Reply(
            title=f"Help: /tally {' '.join(words)}".rstrip(),
            fields=tuple(fields),
            data={"commands": [c.key for c in matches]},
        )
    fields = tuple(
        Field(c.usage(), (c.summary + (" (moderators)" if c.moderator_only else ""),))
        for c in COMMANDS
    )
    return Reply(
        title="tallybot: the tally of a decision taken by consensus",
        fields=fields,
        context=("Details: /tally help COMMAND. Quotes for spaces; options as key=value.",),
        data={"commands": [c.key for c in COMMANDS]},
    )


TALLY = Command(
    path=(),
    summary="Where a tracked decision stands: support, opposition, holdouts, the rule.",
    handler=reading.show_tally,
    params=(TRACKER_POS, AS_OF),
    examples=("/tally nato-sg-2024 as_of=2024-04-02",),
)

# -- pictures and what-if (issue 10): chart, whatif, paths -----------------------------------
CANDIDATE_FOR = Param(
    "candidate",
    ParamKind.CANDIDATE,
    "Whom support goes to (a selection); default the leader.",
    metavar="NAME",
)
PICTURE_COMMANDS: tuple[Command, ...] = (
    Command(
        path=("chart",),
        summary="The tally card and the support-over-time chart, as pictures.",
        handler=charts.show_chart,
        params=(TRACKER_POS, AS_OF),
        examples=("/tally chart nato-sg-2024", "/tally chart as_of=2024-03-06"),
    ),
    Command(
        path=("whatif",),
        summary="The outcome if these members took these stances (nothing is recorded).",
        handler=whatif.what_if,
        params=(
            Param(
                "changes",
                ParamKind.TEXT,
                "Pairs of member and stance: HU support PL oppose.",
                required=True,
                positional=True,
                greedy=True,
                metavar="MEMBER STANCE [MEMBER STANCE ...]",
            ),
            TRACKER_OPT,
            CANDIDATE_FOR,
            AS_OF,
        ),
        examples=("/tally whatif HU support", "/tally whatif DE oppose FR oppose tracker=eu-act"),
    ),
    Command(
        path=("paths",),
        summary="The fewest members whose support would meet the rule (qmv: members and "
        "population).",
        handler=whatif.show_paths,
        params=(TRACKER_POS, CANDIDATE_FOR, AS_OF),
        examples=("/tally paths nato-sg-2024",),
    ),
)

COMMANDS: tuple[Command, ...] = (
    TALLY,
    Command(
        path=("position",),
        summary="A member's position and its history, with sources.",
        handler=reading.show_position,
        params=(
            Param(
                "member",
                ParamKind.MEMBER,
                "Member state: code, name or alias.",
                required=True,
                positional=True,
            ),
            TRACKER_POS,
            AS_OF,
        ),
        examples=("/tally position HU", "/tally position Hungary nato-sg-2024"),
    ),
    Command(
        path=("holdouts",),
        summary="Everyone not yet counted: opposing, backing a rival, leaning, undeclared.",
        handler=reading.show_holdouts,
        params=(TRACKER_POS, AS_OF),
    ),
    Command(
        path=("history",),
        summary="The latest declarations, newest first, with ids.",
        handler=reading.show_history,
        params=(
            TRACKER_POS,
            Param("member", ParamKind.MEMBER, "Only this member's declarations."),
            Param(
                "limit",
                ParamKind.INTEGER,
                "How many (1-50, default 10).",
                min_value=1,
                max_value=50,
                metavar="N",
            ),
            Param(
                "page",
                ParamKind.INTEGER,
                "Which page, 1 the newest (default 1).",
                min_value=1,
                max_value=1_000_000,
                metavar="N",
            ),
            Param(
                "before",
                ParamKind.TEXT,
                "Declarations older than this id (#57), to read on from a page.",
                metavar="ID",
            ),
        ),
        examples=("/tally history nato-sg-2024 member=HU", "/tally history page=2"),
    ),
    *PICTURE_COMMANDS,
    Command(
        path=("trackers",),
        summary="Open and recent trackers.",
        handler=reading.list_trackers,
    ),
    Command(
        path=("bodies",),
        summary="The deciding bodies (NATO, EU Council...) and their members today.",
        handler=bodies.list_bodies,
    ),
    Command(
        path=("declare",),
        summary="Record a member's declared position (kept forever; a later one is a change).",
        handler=recording.declare,
        moderator_only=True,
        params=(
            Param(
                "member",
                ParamKind.MEMBER,
                "Member state (code, name or alias), or several: AT,BE,BG.",
                required=True,
                positional=True,
            ),
            Param(
                "stance",
                ParamKind.CHOICE,
                "The position taken.",
                required=True,
                positional=True,
                choices=tuple(str(s) for s in Stance),
                aliases=tuple((k, str(v)) for k, v in STANCE_ALIASES.items()),
            ),
            Param(
                "target",
                ParamKind.CANDIDATE,
                "The candidate (selection) or the stage reached (approval).",
                positional=True,
                greedy=True,
                metavar="CANDIDATE|STAGE",
            ),
            TRACKER_OPT,
            DATE,
            SOURCE,
            QUOTE,
            SPEAKER,
            CONFIDENCE,
            CONDITION,
        ),
        examples=(
            '/tally declare LT support rutte date=2024-04-02 speaker="President Gitanas Nauseda"',
            "/tally declare HU support signature tracker=sweden-accession date=2024-03-05",
            "/tally declare AT,BE,BG support rutte date=2024-04-02 (a roll-call: all or none)",
        ),
    ),
    Command(
        path=("amend",),
        summary="Correct a declaration's source, quote, speaker, confidence or condition.",
        handler=amending.amend,
        moderator_only=True,
        params=(
            Param(
                "id",
                ParamKind.TEXT,
                "The declaration's id, as /tally history shows it (57 or #57).",
                required=True,
                positional=True,
                metavar="ID",
            ),
            SOURCE,
            QUOTE,
            SPEAKER,
            CONFIDENCE,
            CONDITION,
        ),
        examples=('/tally amend #57 quote="We will not block it" confidence=official',),
    ),
    Command(
        path=("retract",),
        summary="Mark a wrongly recorded declaration void; it stays in the history.",
        handler=recording.retract,
        moderator_only=True,
        params=(
            Param(
                "declaration_id",
                ParamKind.INTEGER,
                "The id shown by /tally history (57 or #57).",
                required=True,
                positional=True,
                min_value=1,
                metavar="ID",
            ),
            Param("reason", ParamKind.TEXT, "Why it was wrong.", required=True, metavar='"..."'),
        ),
        examples=('/tally retract 12 reason="misattributed quote"',),
    ),
    Command(
        path=("tracker", "new"),
        summary="Open a tracker: a selection (candidates) or an approval (optional stages).",
        handler=trackers.new_tracker,
        moderator_only=True,
        params=(
            Param(
                "slug",
                ParamKind.TEXT,
                "Short name, e.g. nato-sg-2024.",
                required=True,
                positional=True,
            ),
            Param(
                "title",
                ParamKind.TEXT,
                "Title, in quotes.",
                required=True,
                positional=True,
                greedy=True,
                metavar='"TITLE"',
                max_length=MAX_NAME,
            ),
            Param(
                "kind",
                ParamKind.CHOICE,
                "selection or approval.",
                required=True,
                choices=tuple(str(k) for k in TrackerKind),
            ),
            Param(
                "rule",
                ParamKind.RULE,
                f"Decision rule: {', '.join(RULE_NAMES)}.",
                required=True,
                metavar="|".join(RULE_NAMES),
            ),
            Param(
                "body",
                ParamKind.BODY,
                "Deciding body: nato (default), eu, or one imported (see /tally bodies).",
            ),
            Param(
                "candidates", ParamKind.TEXT, "Comma-separated, for a selection.", metavar='"A,B"'
            ),
            Param(
                "stages",
                ParamKind.TEXT,
                "Comma-separated, in order, for an approval.",
                metavar='"parliament,signature"',
            ),
            Param(
                "opened",
                ParamKind.DATE,
                "When the question opened; default today.",
                metavar="YYYY-MM-DD",
            ),
            Param(
                "subject",
                ParamKind.MEMBER,
                "A member the question is about (an applicant); it never votes on it.",
            ),
            VISIBILITY,
        ),
        examples=(
            '/tally tracker new nato-sg-2024 "NATO Secretary General 2024" kind=selection '
            'rule=unanimity candidates="Mark Rutte,Klaus Iohannis"',
        ),
    ),
    Command(
        path=("tracker", "withdraw"),
        summary="A candidate withdraws (the tally shows it).",
        handler=trackers.withdraw_candidate,
        moderator_only=True,
        params=(
            Param("tracker", ParamKind.TRACKER, "Tracker slug.", required=True, positional=True),
            Param(
                "candidate",
                ParamKind.CANDIDATE,
                "Who withdraws.",
                required=True,
                positional=True,
                greedy=True,
            ),
            DATE,
        ),
    ),
    Command(
        path=("tracker", "close"),
        summary="Close a tracker as decided or abandoned.",
        handler=trackers.close_tracker,
        moderator_only=True,
        params=(
            Param("tracker", ParamKind.TRACKER, "Tracker slug.", required=True, positional=True),
            Param(
                "outcome",
                ParamKind.TEXT,
                "What was decided, in quotes.",
                required=True,
                metavar='"..."',
            ),
            Param(
                "status",
                ParamKind.CHOICE,
                "decided (default) or abandoned.",
                choices=(str(TrackerStatus.DECIDED), str(TrackerStatus.ABANDONED)),
            ),
            DATE,
        ),
    ),
    Command(
        path=("tracker", "edit"),
        summary="Change a tracker's title, opening, rule, body, subject or visibility.",
        handler=tracker_edits.edit_tracker,
        moderator_only=True,
        params=(
            TRACKER_REQUIRED,
            Param("title", ParamKind.TEXT, "New title, in quotes.", metavar='"TITLE"'),
            Param("opened", ParamKind.DATE, "When the question opened.", metavar="YYYY-MM-DD"),
            Param(
                "rule",
                ParamKind.RULE,
                f"Decision rule: {', '.join(RULE_NAMES)}.",
                metavar="|".join(RULE_NAMES),
            ),
            Param("body", ParamKind.BODY, "Deciding body: nato or eu."),
            Param(
                "subject",
                ParamKind.MEMBER,
                "The member the question is about, or none.",
            ),
            VISIBILITY,
        ),
        examples=("/tally tracker edit nato-sg-2024 rule=majority",),
    ),
    Command(
        path=("tracker", "candidate", "add"),
        summary="Add a candidate to a selection.",
        handler=tracker_edits.add_candidate,
        moderator_only=True,
        params=(
            TRACKER_REQUIRED,
            Param(
                "name",
                ParamKind.TEXT,
                "The new candidate's name.",
                required=True,
                positional=True,
                greedy=True,
                metavar="NAME",
            ),
        ),
        examples=('/tally tracker candidate add nato-sg-2024 "Kaja Kallas"',),
    ),
    Command(
        path=("tracker", "candidate", "rename"),
        summary="Correct a candidate's name (declarations follow).",
        handler=tracker_edits.rename_candidate,
        moderator_only=True,
        params=(
            TRACKER_REQUIRED,
            Param(
                "name",
                ParamKind.CANDIDATE,
                "The candidate, as now named.",
                required=True,
                positional=True,
                greedy=True,
                metavar="NAME",
            ),
            Param("to", ParamKind.TEXT, "The new name.", required=True, metavar='"NAME"'),
        ),
        examples=('/tally tracker candidate rename nato-sg-2024 rute to="Mark Rutte"',),
    ),
    Command(
        path=("tracker", "reinstate"),
        summary="Undo a candidate's withdrawal.",
        handler=tracker_edits.reinstate_candidate,
        moderator_only=True,
        params=(
            TRACKER_REQUIRED,
            Param(
                "candidate",
                ParamKind.CANDIDATE,
                "The withdrawn candidate.",
                required=True,
                positional=True,
                greedy=True,
            ),
        ),
        examples=("/tally tracker reinstate nato-sg-2024 iohannis",),
    ),
    Command(
        path=("tracker", "reopen"),
        summary="Open a decided or abandoned tracker again (its close stays in history).",
        handler=tracker_edits.reopen_tracker,
        moderator_only=True,
        params=(TRACKER_REQUIRED,),
        examples=("/tally tracker reopen nato-sg-2024",),
    ),
    Command(
        path=("tracker", "archive"),
        summary="Hide a tracker from /tally trackers; it stays readable by name.",
        handler=tracker_edits.archive_tracker,
        moderator_only=True,
        params=(TRACKER_REQUIRED,),
        examples=("/tally tracker archive nato-sg-2024",),
    ),
    Command(
        path=("tracker", "unarchive"),
        summary="Bring an archived tracker back to /tally trackers.",
        handler=tracker_edits.unarchive_tracker,
        moderator_only=True,
        params=(TRACKER_REQUIRED,),
    ),
    Command(
        path=("export",),
        summary="The tracker's record as a file: JSON (whole, re-importable) or CSV.",
        handler=exchange.export_tracker,
        moderator_only=True,
        params=(
            TRACKER_POS,
            Param(
                "format",
                ParamKind.CHOICE,
                "json (default: everything, for tallybot import) or csv (for a spreadsheet).",
                choices=exchange.FORMATS,
            ),
        ),
        examples=("/tally export nato-sg-2024 format=csv",),
    ),
    Command(
        path=("moderator", "add"),
        summary="Let a user record declarations.",
        handler=moderators.add_moderator,
        moderator_only=True,
        params=(USER,),
    ),
    Command(
        path=("moderator", "remove"),
        summary="Take a user off the moderator list.",
        handler=moderators.remove_moderator,
        moderator_only=True,
        params=(USER,),
    ),
    Command(
        path=("moderator", "list"),
        summary="Who is on the moderator list.",
        handler=moderators.list_moderators,
    ),
    Command(
        path=("subscribe",),
        summary="Send this channel alerts: every change, milestones only, or a daily digest.",
        handler=subscriptions.subscribe,
        moderator_only=True,
        channel_managers=True,
        params=(
            Param(
                "tracker",
                ParamKind.TRACKER,
                "Tracker slug, or all; optional if only one is open.",
                positional=True,
                metavar="TRACKER|all",
            ),
            Param(
                "mode",
                ParamKind.CHOICE,
                "every change (default), milestones (outcome changes) or a daily digest.",
                choices=("every", "milestones", "digest"),
                aliases=(("all", "every"), ("milestone", "milestones"), ("daily", "digest")),
            ),
            Param("at", ParamKind.TEXT, "Digest time, 24-hour (default 09:00).", metavar="HH:MM"),
            Param(
                "tz",
                ParamKind.TEXT,
                "Time zone of at= (default UTC).",
                metavar="Europe/Brussels",
            ),
            Param(
                "cards",
                ParamKind.CHOICE,
                "on: milestone alerts carry the tally card (a picture); off (default).",
                choices=("on", "off"),
            ),
        ),
        examples=(
            "/tally subscribe nato-sg-2024",
            "/tally subscribe all mode=milestones",
            "/tally subscribe nato-sg-2024 mode=milestones cards=on",
            "/tally subscribe nato-sg-2024 mode=digest at=08:30 tz=Europe/Brussels",
        ),
    ),
    Command(
        path=("unsubscribe",),
        summary="Stop this channel's alerts for a tracker, or all of them.",
        handler=subscriptions.unsubscribe,
        moderator_only=True,
        channel_managers=True,
        params=(
            Param(
                "tracker",
                ParamKind.TRACKER,
                "Tracker slug, or all (every subscription of this channel).",
                positional=True,
                metavar="TRACKER|all",
            ),
        ),
    ),
    Command(
        path=("subscriptions",),
        summary="What this channel gets, and channels paused because they could not be reached.",
        handler=subscriptions.list_subscriptions,
    ),
    Command(
        path=("help",),
        summary="This list, or one command in detail.",
        handler=_help,
        params=(
            Param(
                "command",
                ParamKind.TEXT,
                "A command, e.g. declare.",
                positional=True,
                greedy=True,
                metavar="COMMAND",
            ),
        ),
    ),
)
