"""The review buttons and forms on Slack: Confirm runs at once; Edit and Reject open a modal
(views.open) whose submit runs the command. Everything needed is in the payload: the button's
action_id ('tally:sugg:confirm:42'), the modal's callback_id and private_metadata (the
channel and the response_url to answer on), so a press works after any restart."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import render
from adapters.slack.escape import plain
from adapters.slack.identity import Asker
from bot.replies import Reply, Visibility
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
    from adapters.slack.app import Respond, TallyCommands

log = logging.getLogger(__name__)

TITLE_LIMIT = 24
INPUT_LIMIT = 3000
"""Slack's plain_text_input holds at most 3,000 characters."""
VALUE_ACTION = "value"
SORRY = "Something went wrong on our side; nothing was saved."


class SuggestionActions:
    def __init__(self, commands: TallyCommands) -> None:
        self.commands = commands

    async def pressed(
        self, body: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        try:
            await self._pressed(body, respond, client)
        except Exception:
            log.exception("suggestion button failed")
            await respond(response_type="ephemeral", replace_original=False, text=SORRY)

    async def _pressed(
        self, body: Mapping[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        action = (body.get("actions") or [{}])[0]
        pressed = parse_id(str(action.get("action_id") or ""))
        if pressed is None or pressed.form:
            return
        asker = Asker.from_action(body)
        actor = await self.commands.identity.actor(client, asker, True)
        dispatcher = self.commands.core.dispatcher
        if pressed.verb is Verb.CONFIRM:
            reply = await dispatcher.run(
                dispatcher.command("confirm"), {"suggestion_id": pressed.suggestion_id}, actor
            )
            await answer(respond, reply)
            return
        # Still pending, and the presser may decide it: the same check the command makes.
        check = await dispatcher.run(
            dispatcher.command("review"), {"id": pressed.suggestion_id}, actor
        )
        if not check.ok:
            await answer(respond, check)
            return
        fields = (
            edit_form(check.data["suggestions"][0]) if pressed.verb is Verb.EDIT else REJECT_FORM
        )
        metadata = {"c": asker.channel_id, "r": str(body.get("response_url") or "")}
        await client.views_open(
            trigger_id=str(body.get("trigger_id") or ""),
            view=modal(pressed, fields, json.dumps(metadata)),
        )

    async def submitted(self, body: Mapping[str, Any], client: AsyncWebClient) -> None:
        try:
            await self._submitted(body, client)
        except Exception:
            log.exception("suggestion form failed")

    async def _submitted(self, body: Mapping[str, Any], client: AsyncWebClient) -> None:
        view = body.get("view") or {}
        pressed = parse_id(str(view.get("callback_id") or ""))
        if pressed is None or not pressed.form:
            return
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            metadata = {}
        user = body.get("user") or {}
        asker = Asker(
            team_id=str(user.get("team_id") or (body.get("team") or {}).get("id") or ""),
            user_id=str(user.get("id") or ""),
            user_name=str(user.get("username") or user.get("name") or "someone"),
            channel_id=metadata.get("c"),
            enterprise_id=(body.get("enterprise") or {}).get("id") or None,
        )
        actor = await self.commands.identity.actor(client, asker, True)
        dispatcher = self.commands.core.dispatcher
        raw = form_args(pressed, submitted_values(view))
        reply = await dispatcher.run(dispatcher.command(COMMAND_OF[pressed.verb]), raw, actor)
        url = str(metadata.get("r") or "")
        if url:
            await answer(self.commands.response_urls.bind(url), reply)
        elif asker.channel_id:
            await client.chat_postEphemeral(
                channel=asker.channel_id, user=asker.user_id, **render(reply).payload()
            )


async def answer(respond: Respond, reply: Reply) -> None:
    """A recorded change in the channel; a refusal or a rejection only to the presser."""
    if reply.ok and reply.visibility is Visibility.PUBLIC:
        await respond(response_type="in_channel", replace_original=False, **render(reply).payload())
    else:
        await respond(response_type="ephemeral", replace_original=False, **render(reply).payload())


def modal(pressed: Pressed, fields: tuple[FormField, ...], metadata: str) -> dict[str, Any]:
    verb = Pressed(pressed.verb, pressed.suggestion_id, True)
    title = "Edit" if verb.verb is Verb.EDIT else "Reject"
    return {
        "type": "modal",
        "callback_id": form_id(verb.verb, verb.suggestion_id),
        "title": {"type": "plain_text", "text": f"{title} #{verb.suggestion_id}"[:TITLE_LIMIT]},
        "submit": {
            "type": "plain_text",
            "text": "Confirm" if verb.verb is Verb.EDIT else "Reject",
        },
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": [_input(field, verb.suggestion_id) for field in fields],
    }


def _input(field: FormField, suggestion_id: int) -> dict[str, Any]:
    if len(field.value) > INPUT_LIMIT:
        # Prefilled cut short, a submit would record it cut: shown as kept instead (no input,
        # so the submit leaves the suggestion's own value).
        name = field.label.split(" (", 1)[0]
        return {
            "type": "section",
            "block_id": field.name,
            "text": {
                "type": "mrkdwn",
                "text": f"*{name}*: {len(field.value):,} characters, longer than a Slack field "
                f"holds; kept as suggested (change it with `/tally confirm {suggestion_id} "
                f'{field.name}="..."`).',
            },
        }
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE_ACTION,
        "multiline": field.long,
        "max_length": min(field.max_length, INPUT_LIMIT),
    }
    if field.value:
        element["initial_value"] = field.value[:INPUT_LIMIT]
    return {
        "type": "input",
        "block_id": field.name,
        "optional": not field.required,
        "label": {"type": "plain_text", "text": plain(field.label)},
        "element": element,
    }


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """{field: text} from a view_submission's state (an emptied input has value None)."""
    values = (view.get("state") or {}).get("values") or {}
    return {
        str(block): str((inputs.get(VALUE_ACTION) or {}).get("value") or "")
        for block, inputs in values.items()
        if isinstance(inputs, Mapping)
    }
