"""The review queue at the console: numbered entries and prompts instead of buttons.

After a reply that lists entries (`/tally review`), the operator picks one by number, then
"1 confirm, 2 edit, 3 reject"; Edit asks each field with the suggestion's value as default,
Reject asks for an optional reason. Each choice runs the command the button would run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from adapters.console.render import render_text
from bot.app import Core
from bot.commands.context import Actor
from bot.replies import Reply
from bot.suggestions.actions import (
    COMMAND_OF,
    REJECT_FORM,
    FormField,
    Pressed,
    Verb,
    edit_form,
    form_args,
    parse_id,
)

Ask = Callable[[str], Awaitable[str]]
CHOICES = {"1": Verb.CONFIRM, "2": Verb.EDIT, "3": Verb.REJECT}
CHOICES.update({str(v): v for v in Verb})


async def review_prompts(
    core: Core, actor: Actor, reply: Reply, ask: Ask, say: Callable[[str], None] = print
) -> None:
    """Offer the reply's entries until the operator presses Enter on an empty answer."""
    by_id = {int(s["id"]): s for s in reply.data.get("suggestions") or []}
    open_items = list(enumerate(reply.items, 1))
    while open_items:
        numbers = ", ".join(str(n) for n, _ in open_items)
        picked = (await ask(f"Entry to decide ({numbers}; Enter: done): ")).strip().lstrip("#[")
        if not picked:
            return
        found = next((item for n, item in open_items if str(n) == picked.rstrip("]")), None)
        if found is None:
            say(f"No entry {picked}: answer with one of {numbers}.")
            continue
        verb = CHOICES.get((await ask("1 confirm, 2 edit, 3 reject (Enter: back): ")).strip())
        if verb is None:
            continue
        action = next(a for a in found.actions if (p := parse_id(a.id)) and p.verb is verb)
        pressed = parse_id(action.id)
        assert pressed is not None
        done = await _run(core, actor, pressed, by_id.get(pressed.suggestion_id, {}), ask)
        say(render_text(done))
        if done.ok or "already" in done.title or "expired" in done.title:
            open_items = [(n, item) for n, item in open_items if item is not found]


async def _run(core: Core, actor: Actor, pressed: Pressed, data: dict[str, Any], ask: Ask) -> Reply:
    command = core.dispatcher.command(COMMAND_OF[pressed.verb])
    raw: dict[str, object] = {"suggestion_id": pressed.suggestion_id}
    if pressed.verb is Verb.EDIT:
        values = await _fill(edit_form(data), ask)
        missing = next((f for f in edit_form(data) if f.required and not values[f.name]), None)
        if missing is not None:
            name = missing.label.split(" (", 1)[0].lower()
            return Reply.error(
                f"Not confirmed: the {name} is needed. "
                "Nothing was recorded; pick the entry again to edit it."
            )
        raw = form_args(pressed, values)
    elif pressed.verb is Verb.REJECT:
        raw = form_args(pressed, await _fill(REJECT_FORM, ask))
    return await core.dispatcher.run(command, raw, actor)


async def _fill(fields: tuple[FormField, ...], ask: Ask) -> dict[str, str]:
    """Each field asked with its value as default: Enter keeps it, '-' empties it."""
    values: dict[str, str] = {}
    for field in fields:
        shown = f" [{field.value}]" if field.value else ""
        answer = (await ask(f"{field.label}{shown}: ")).strip()
        if field.required and not field.value and not answer:
            # Like the modals' required inputs: asked again once (Enter again gives up).
            answer = (await ask(f"{field.label.split(' (', 1)[0]} is needed: ")).strip()
        values[field.name] = "" if answer == "-" else answer or field.value
    return values
