"""A reply's files, posted in the channel with Slack's files upload v2.

slack_sdk's files_upload_v2 does Slack's three steps: files.getUploadURLExternal, a POST of the
bytes to the upload URL it returns, then files.completeUploadExternal sharing the file in the
channel (channel_id). The app needs the files:write scope (see manifest.yml).
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import error_code
from bot.replies import Attachment

log = logging.getLogger(__name__)

_HINTS = {
    "not_in_channel": "invite tallybot to this channel (/invite @tallybot), then try again",
    "channel_not_found": "invite tallybot to this channel (/invite @tallybot), then try again",
    "missing_scope": "the Slack app needs the files:write scope (see manifest.yml)",
    "not_allowed_token_type": "the Slack app needs the files:write scope (see manifest.yml)",
}


async def post_files(
    client: AsyncWebClient, channel_id: str, attachments: tuple[Attachment, ...]
) -> str | None:
    """Upload each file to the channel; a sentence for the user if Slack refused one."""
    for attachment in attachments:
        try:
            await client.files_upload_v2(
                channel=channel_id,
                file=attachment.content,
                filename=attachment.filename,
                title=attachment.filename,
            )
        except SlackApiError as exc:
            code = error_code(exc)
            hint = _HINTS.get(code, "try again in a moment")
            return f"Slack did not take the file {attachment.filename} ({code}): {hint}."
        except (SlackRequestError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("uploading %s failed: %s", attachment.filename, exc)
            return f"The file {attachment.filename} could not be uploaded: try again in a moment."
    return None
