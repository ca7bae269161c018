"""Every command, in the order /tally help lists them. Each is declared beside its handler;
adapters, help and completion all read this list."""

from __future__ import annotations

from typing import Any

from bot.commands import (
    amending,
    bodies,
    charts,
    communities,
    exchange,
    feeds,
    help,
    moderators,
    reading,
    recording,
    subscriptions,
    tracker_edits,
    trackers,
    whatif,
)
from bot.commands.spec import Command

COMMANDS: tuple[Command[Any], ...] = (
    reading.TALLY,
    reading.POSITION,
    reading.HOLDOUTS,
    reading.HISTORY,
    charts.CHART,
    whatif.WHATIF,
    whatif.PATHS,
    reading.TRACKERS,
    bodies.BODIES,
    recording.DECLARE,
    amending.AMEND,
    recording.RETRACT,
    trackers.NEW_TRACKER,
    trackers.WITHDRAW,
    trackers.CLOSE,
    tracker_edits.EDIT,
    tracker_edits.CANDIDATE_ADD,
    tracker_edits.CANDIDATE_RENAME,
    tracker_edits.REINSTATE,
    tracker_edits.REOPEN,
    tracker_edits.ARCHIVE,
    tracker_edits.UNARCHIVE,
    exchange.EXPORT,
    moderators.MODERATOR_ADD,
    moderators.MODERATOR_REMOVE,
    moderators.MODERATOR_LIST,
    subscriptions.SUBSCRIBE,
    subscriptions.UNSUBSCRIBE,
    subscriptions.SUBSCRIPTIONS,
    feeds.FEEDS_ADD,
    feeds.FEEDS_LIST,
    feeds.FEEDS_REMOVE,
    communities.COMMUNITY,
    communities.COMMUNITY_NAME,
    communities.COMMUNITY_INVITE,
    communities.COMMUNITY_JOIN,
    communities.COMMUNITY_LEAVE,
    help.HELP,
)
