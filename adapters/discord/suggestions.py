"""The review buttons and forms on Discord, handled from the interaction payload alone.

A button's custom_id ('tally:sugg:confirm:42') and a modal's ('tally:suggform:edit:42') say
what to do, so no view or modal is kept in memory (they are stopped before sending) and a
press after a restart works like any other. Confirm runs at once; Edit and Reject first check
the presser may decide the suggestion (the review command's own check), then open a modal
whose submit runs /tally confirm (edited) or /tally reject."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot.replies import Reply
from bot.suggestions.actions import (
    COMMAND_OF,
    REJECT_FORM,
    FormField,
    Pressed,
    Verb,
    edit_form,
    form_args,
    form_id,
    parse_id,
)

if TYPE_CHECKING:
    from adapters.discord.interactions import InteractionHandler

log = logging.getLogger(__name__)

MODAL_TITLE_LIMIT = 45
LABEL_LIMIT = 45
INPUT_LIMIT = 4000


async def handle_suggestion_interaction(
    handler: InteractionHandler, interaction: discord.Interaction
) -> bool:
    """A review button or form: handled here (True); anything else is left alone (False)."""
    data: Mapping[str, Any] = interaction.data or {}
    pressed = parse_id(str(data.get("custom_id") or ""))
    if pressed is None:
        return False
    if interaction.type is discord.InteractionType.component and not pressed.form:
        await _pressed(handler, interaction, pressed)
        return True
    if interaction.type is discord.InteractionType.modal_submit and pressed.form:
        actor = await handler.actor(interaction)
        dispatcher = handler.dispatcher
        raw = form_args(pressed, submitted_values(data))
        command = dispatcher.command(COMMAND_OF[pressed.verb])
        await handler.respond(interaction, dispatcher.run(command, raw, actor))
        return True
    return False


async def _pressed(
    handler: InteractionHandler, interaction: discord.Interaction, pressed: Pressed
) -> None:
    actor = await handler.actor(interaction)
    dispatcher = handler.dispatcher
    if pressed.verb is Verb.CONFIRM:
        command = dispatcher.command("confirm")
        raw = {"suggestion_id": pressed.suggestion_id}
        await handler.respond(interaction, dispatcher.run(command, raw, actor))
        return
    # A modal must be the first answer: the check runs within the 3 s, no deferral.
    check = await dispatcher.run(dispatcher.command("review"), {"id": pressed.suggestion_id}, actor)
    if not check.ok:
        await handler.respond(interaction, _ready(check))
        return
    fields = edit_form(check.data["suggestions"][0]) if pressed.verb is Verb.EDIT else REJECT_FORM
    await interaction.response.send_modal(modal(pressed, fields))


async def _ready(reply: Reply) -> Reply:
    """An answer already at hand, in the form `respond` takes."""
    return reply


def modal(pressed: Pressed, fields: tuple[FormField, ...]) -> discord.ui.Modal:
    """Stopped before it is sent: discord.py keeps nothing, the submit is read from its
    payload."""
    verb = "Edit and confirm" if pressed.verb is Verb.EDIT else "Reject"
    form = discord.ui.Modal(
        title=f"{verb} suggestion #{pressed.suggestion_id}"[:MODAL_TITLE_LIMIT],
        custom_id=form_id(pressed.verb, pressed.suggestion_id),
        timeout=None,
    )
    for field in fields:
        form.add_item(
            discord.ui.TextInput(
                label=field.label[:LABEL_LIMIT],
                custom_id=field.name,
                style=discord.TextStyle.paragraph if field.long else discord.TextStyle.short,
                default=field.value[:INPUT_LIMIT] or None,
                required=field.required,
                max_length=min(field.max_length, INPUT_LIMIT),
            )
        )
    form.stop()
    return form


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """{custom_id: value} of a modal submit's text inputs: in action rows (type 1) or in
    labels (type 18), as Discord sends them."""
    values: dict[str, str] = {}

    def walk(component: Mapping[str, Any]) -> None:
        if component.get("type") == 4:
            values[str(component.get("custom_id"))] = str(component.get("value") or "")
        for inner in component.get("components") or []:
            walk(inner)
        if isinstance(component.get("component"), Mapping):
            walk(component["component"])

    for component in data.get("components") or []:
        walk(component)
    return values
