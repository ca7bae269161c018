"""Export a tracker as a file (JSON or CSV), and add a CSV roll-call to one.

The shaping is in bot/exchange.py; each roll-call line goes through the very checks of
/tally declare (bot/commands/recording.py), so a file is refused exactly where a moderator
typing the same lines would be.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import exchange
from bot.commands.context import Context
from bot.commands.converters import convert_args
from bot.commands.params import TRACKER_POS
from bot.commands.recording import DeclareArgs, checked_declaration
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import NewDeclaration, Tracker, TrackerKind
from bot.errors import UserError
from bot.replies import Attachment, Reply, Visibility

FORMATS = ("json", "csv")


def export_file(ctx: Context, tracker: Tracker, fmt: str) -> Attachment:
    """The export of one tracker as a named file."""
    record = ctx.repo.tracker_record(tracker.id)
    if fmt == "csv":
        content = exchange.to_csv(record, ctx.body(tracker))
        kind = exchange.CSV_TYPE
    else:
        content = exchange.to_json(record, ctx.now)
        kind = exchange.JSON_TYPE
    return Attachment(f"{tracker.slug}-{ctx.today.isoformat()}.{fmt}", content, kind)


@dataclass(frozen=True)
class ExportArgs:
    tracker: str | None = None
    format: str = "json"
    """One of FORMATS."""


def export_tracker(ctx: Context, args: ExportArgs) -> Reply:
    tracker = ctx.tracker(args.tracker)
    fmt = args.format
    attachment = export_file(ctx, tracker, fmt)
    count = ctx.repo.count_declarations(tracker.id)
    what = (
        "the whole record: re-import it with tallybot import FILE"
        if fmt == "json"
        else "one row per declaration, amendments applied"
    )
    return Reply(
        title=f"Export of {tracker.slug}: {count} declarations ({fmt.upper()})",
        lines=(f"{attachment.filename}, {len(attachment.content):,} bytes: {what}.",),
        context=(f"Exported by {ctx.actor.display_name}.",),
        visibility=Visibility.PUBLIC,
        data={
            "tracker": tracker.slug,
            "format": fmt,
            "filename": attachment.filename,
            "bytes": len(attachment.content),
            "declarations": count,
        },
        attachments=(attachment,),
    )


EXPORT = Command(
    path=("export",),
    summary="The tracker's record as a file: JSON (whole, re-importable) or CSV.",
    handler=export_tracker,
    args=ExportArgs,
    moderator_only=True,
    params=(
        TRACKER_POS,
        Param(
            "format",
            ParamKind.CHOICE,
            "json (default: everything, for tallybot import) or csv (for a spreadsheet).",
            choices=FORMATS,
        ),
    ),
    examples=("/tally export nato-sg-2024 format=csv",),
)


def import_roll_call(
    ctx: Context, tracker: Tracker, data: bytes, declare: Command[DeclareArgs]
) -> tuple[int, int]:
    """Record every line of a roll-call CSV, or none: each bad line is named by its number.

    `declare` is the /tally declare command: its options convert each cell. Lines a CSV export
    marks as retracted are skipped. Returns (recorded, skipped)."""
    lines = exchange.read_roll_call(data)
    if not lines:
        raise UserError("The file has a header but no lines to import.")
    errors: list[str] = []
    recorded: list[NewDeclaration] = []
    pending: list[NewDeclaration] = []
    skipped = 0
    for number, row in lines:
        if row.get("retracted"):
            skipped += 1
            continue
        try:
            new = _line_declaration(ctx, tracker, row, declare)
        except UserError as exc:
            errors.append(f"line {number}: {exc.message}")
            continue
        pending.append(new)
        if tracker.stages:  # support without a stage keeps the one reached: write as we go
            _flush(ctx, pending, recorded)
    if errors:
        raise exchange.refusal(errors, len(lines))
    _flush(ctx, pending, recorded)
    return len(recorded), skipped


def _line_declaration(
    ctx: Context, tracker: Tracker, row: dict[str, str], declare: Command[DeclareArgs]
) -> NewDeclaration:
    for column in exchange.ROLL_CALL_REQUIRED:
        if not row.get(column):
            raise UserError(f"no {column}.")
    raw = {
        "member": row["member"],
        "stance": row["stance"],
        "target": row.get("candidate"),
        "date": row["date"],
        **{k: row.get(k) for k in ("source", "quote", "speaker", "confidence", "condition")},
    }
    args = convert_args(declare, raw, ctx.today)
    if tracker.kind is TrackerKind.SELECTION and args.stance.names_candidate and not args.target:
        raise UserError(
            f"no candidate: {tracker.slug} is a selection, so add a candidate column "
            "(or fill in its cell on this line)."
        )
    new, _ = checked_declaration(ctx, tracker, args)
    return new


def _flush(ctx: Context, pending: list[NewDeclaration], recorded: list[NewDeclaration]) -> None:
    if pending:
        ctx.repo.add_declarations(pending)
        recorded.extend(pending)
        pending.clear()
