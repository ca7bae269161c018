"""The deciding bodies a tracker can use (NATO, the EU Council, imported ones)."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.spec import Command, NoArgs
from bot.members import Body
from bot.replies import Colour, Field, Reply, counted

DEFAULT_BODY = "nato"


def list_bodies(ctx: Context, args: NoArgs) -> Reply:
    """Every body with its member count today, so `body=` in tracker new is never a guess."""
    bodies = [ctx.repo.body(slug) for slug in ctx.repo.body_slugs()]
    fields = []
    rows = []
    for body in bodies:
        today = len(body.members_on(ctx.today))
        detail = [f"{counted(today, 'member')} today"]
        if body.weighs_population:
            detail.append("population figures: qmv possible")
        if body.slug == DEFAULT_BODY:
            detail.append("the default")
        fields.append(Field(f"{body.slug} — {body.name}", (" · ".join(detail),)))
        rows.append(
            {
                "slug": body.slug,
                "name": body.name,
                "members": today,
                "weighs_population": body.weighs_population,
            }
        )
    return Reply(
        title="Bodies",
        fields=tuple(fields),
        context=(
            "Use one with /tally tracker new ... body=SLUG. "
            "Add one with `tallybot body import FILE`.",
        ),
        colour=Colour.INFO,
        data={"bodies": rows},
    )


BODIES = Command(
    path=("bodies",),
    summary="The deciding bodies (NATO, EU Council...) and their members today.",
    handler=list_bodies,
    args=NoArgs,
)


def body_line(body: Body, chosen: bool) -> str:
    """Which body a new tracker counts, and whether it was asked for or the default."""
    if chosen:
        return f"Body: {body.name} ({body.slug})"
    return (
        f"Body: {body.name} ({body.slug}), the default; give body= for another "
        "(/tally bodies lists them)"
    )
