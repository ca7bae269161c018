"""Composition: the one place that picks the store and the senders and builds the core."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.alerts.outbox import alert_writer
from bot.app import Core
from bot.commands.catalog import COMMANDS
from bot.commands.dispatcher import Dispatcher, utc_now
from bot.errors import DatabaseUnreachable, DatabaseUnusable
from bot.settings import Settings
from bot.tally_cache import TallyCache
from store.engine import open_store

if TYPE_CHECKING:
    from bot.alerts.channels import AlertSender
    from bot.storage import Store

log = logging.getLogger(__name__)


def open_core(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Core:
    """The store TALLYBOT_DB names (an SQLite file, or PostgreSQL by URL) and a dispatcher
    writing alerts to its outbox."""
    if settings.uses_postgres:
        store = _open_postgres(settings, clock())
    else:
        try:
            store = open_store(settings.db_path, clock())
        except (sqlite3.DatabaseError, OSError) as exc:
            raise DatabaseUnusable(Path(settings.db_path), exc) from None
    dispatcher = Dispatcher(store, COMMANDS, clock, TallyCache(store.version))
    dispatcher.public_url = settings.public_url
    dispatcher.limits = settings.limits
    dispatcher.suggestion_rules = settings.suggestions
    dispatcher.shared_community = settings.shared_community
    # Alerts are written in each command's own transaction (the outbox), whoever runs it.
    dispatcher.event_writers.append(alert_writer(clock))
    return Core(settings, store, dispatcher)


def _open_postgres(settings: Settings, now: datetime) -> Store:
    """The PostgreSQL store, or one sentence naming the server (never its password)."""
    import psycopg

    from store.postgres.store import SchemaMissing

    try:
        return open_store(settings.database, now)
    except (psycopg.OperationalError, SchemaMissing) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnreachable(settings.database_label, reason) from None


Closer = Callable[[], Awaitable[None]]


async def build_senders(
    settings: Settings, console: bool = True, store: Store | None = None
) -> tuple[dict[str, AlertSender], list[Closer]]:
    """Senders from settings alone, plus how to close them: Slack when SLACK_BOT_TOKEN is set
    (or, for a distributed app, with each workspace's token from `store`), Discord when
    DISCORD_TOKEN is set, and the console unless told not to."""
    senders: dict[str, AlertSender] = {}
    closers: list[Closer] = []
    if settings.slack_distributed and store is not None:
        from adapters.slack.installations import SlackInstallations
        from adapters.slack.sender import create_sender as create_slack_sender
        from bot.token_cipher import TokenCipher

        installations = SlackInstallations(store, TokenCipher(settings.secret_key))
        slack = create_slack_sender(settings, installations.token_for)
        senders[slack.platform] = slack
    elif settings.slack_bot_token:
        from adapters.slack.sender import create_sender as create_slack_sender

        slack = create_slack_sender(settings)
        senders[slack.platform] = slack
    if settings.discord_token:
        from adapters.discord.sender import create_sender as create_discord_sender

        try:
            discord_sender = await create_discord_sender(settings)
        except Exception as exc:
            log.error("discord alerts unavailable: %s", type(exc).__name__)
        else:
            senders[discord_sender.platform] = discord_sender
            closers.append(discord_sender.close)
    if console:
        from adapters.console.sender import ConsoleSender

        senders["console"] = ConsoleSender()
    return senders, closers


async def close_all(closers: list[Closer]) -> None:
    for close in closers:
        with contextlib.suppress(Exception):
            await close()
