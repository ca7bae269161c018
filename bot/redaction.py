"""Redacting short-lived capabilities from log records: the text rules and the filter.

A Slack response_url, a Discord interaction token or webhook URL lets anyone holding it post as
the bot for a while (30 minutes, 15 minutes, or until the webhook is deleted), and a Slack token
for good. Libraries log them at DEBUG (slack_sdk's webhook client logs the URL it posts to and
each response body, discord.py the route of every request) and exceptions quote them. Here in
the core so the launcher (on the root handlers) and an adapter (on one library logger) use the
same rules.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Slack response_url and incoming webhooks: everything after the host is the secret.
    (re.compile(r"(hooks\.slack(?:-gov)?\.com/)[^\s'\",<>]+"), rf"\g<1>{REDACTED}"),
    # Any URL with a /hooks/ path (Slack-style webhooks on another host, the test fakes').
    (re.compile(r"(/hooks/)[^\s'\",<>?&]+"), rf"\g<1>{REDACTED}"),
    # Discord: /webhooks/{application or webhook id}/{token} and /interactions/{id}/{token}.
    (re.compile(r"(/(?:webhooks|interactions)/\d+/)[^\s/'\"<>?&]+"), rf"\g<1>{REDACTED}"),
    # A response_url or token field as a form value, JSON or a Python dict repr.
    (
        re.compile(r"((?:response_url|token)['\"]?\s*[:=]\s*['\"]?)[^\s&'\",}]+"),
        rf"\g<1>{REDACTED}",
    ),
    (re.compile(r"(response_url%22%3A%22|response_url=)[^\s&]+"), rf"\g<1>{REDACTED}"),
    # Slack tokens (bot, user, app-level), should one ever be quoted.
    (re.compile(r"\bx(?:ox[a-z]|app)-[\w-]+"), REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactCapabilities(logging.Filter):
    """Rewrites a record in place (message with its args applied, and the exception text), so
    every handler after it sees only the redacted text."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken record: logging reports it as usual
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
