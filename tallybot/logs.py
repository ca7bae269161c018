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

from bot.redaction import REDACTED, RedactCapabilities, redact

__all__ = ["REDACTED", "RedactCapabilities", "configure_logging", "install_redaction", "redact"]


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
