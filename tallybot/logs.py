"""Logging set-up: short-lived capabilities never reach the logs, whoever logs them.

A Slack response_url, a Discord interaction token or webhook URL lets anyone holding it post as
the bot for a while (30 minutes, 15 minutes, or until the webhook is deleted). Libraries log
them at DEBUG (slack_sdk's webhook client logs the URL it posts to, discord.py the route of
every request) and exceptions quote them (aiohttp's errors carry the URL). A filter on the root
handlers rewrites every record that reaches them, from any logger at any level: the formatted
message and the exception text, with the capability replaced by a placeholder.
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


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of the root logger (idempotent). Handler filters see
    records from every logger that propagates to root, library loggers included."""
    root = logger or logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactCapabilities) for f in handler.filters):
            handler.addFilter(RedactCapabilities())


def configure_logging(level: str) -> None:
    """What every tallybot command does first: the format, the level and the redaction."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()
