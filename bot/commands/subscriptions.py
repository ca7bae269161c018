"""Channel subscriptions: which alerts a channel gets, set from inside that channel.

Stored per (platform, workspace, channel) taken from the Actor, so the same commands work from
Slack, Discord and the console (whose one channel is the terminal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.alerts.channels import ChannelRef
from bot.alerts.model import DEFAULT_DIGEST_AT, DEFAULT_TZ, Mode, Subscription
from bot.commands.context import Context
from bot.commands.spec import Command, NoArgs, Param, ParamKind
from bot.domain import Tracker
from bot.errors import UserError
from bot.replies import Colour, Field, Reply, Visibility

ALL = "all"


@dataclass(frozen=True)
class SubscribeArgs:
    tracker: str | None = None
    """A tracker's slug, or all."""
    mode: Mode | None = None
    at: str | None = None
    tz: str | None = None
    cards: str | None = None
    """on: milestone alerts carry the tally card."""


def subscribe(ctx: Context, args: SubscribeArgs) -> Reply:
    channel = _channel(ctx)
    tracker = _scope(ctx, args.tracker)
    # bot.alerts.timing loads zoneinfo: only for the subscriptions that name a time or zone.
    from bot.alerts.timing import parse_hhmm, resolve_tz

    at = parse_hhmm(args.at) if args.at else None
    mode = args.mode or (Mode.DIGEST if at or args.tz else Mode.EVERY)
    if mode is not Mode.DIGEST and (at or args.tz):
        raise UserError(
            "at= and tz= set the time of a daily digest: add mode=digest (or leave mode= out)."
        )
    if mode is Mode.SUGGESTIONS and tracker and tracker.community_id != ctx.community.id:
        # A followed tracker's suggestions are its own community's moderators' business
        # (who suggested what, unreviewed): a follower gets its changes, never its queue.
        raise UserError(
            f"mode=suggestions is for your community's own trackers: {_named(ctx, tracker)}'s "
            "suggestions go to its own moderators. Follow its changes with mode=every."
        )
    cards = args.cards == "on"
    if cards and mode is not Mode.MILESTONES:
        raise UserError("cards=on puts the tally card on milestone alerts: add mode=milestones.")
    tz = resolve_tz(args.tz) if args.tz else DEFAULT_TZ
    if mode is Mode.DIGEST:
        at = at or DEFAULT_DIGEST_AT
    alerts = ctx.alerts
    was_paused = alerts.channel_state(channel).paused
    before = next(
        (
            (s.mode, s.digest_at, s.tz)
            for s in alerts.channel_subscriptions(channel)
            if s.tracker_id == (tracker.id if tracker else None)
        ),
        None,
    )
    sub, created = alerts.subscribe(
        channel,
        tracker.id if tracker else None,
        mode,
        at if mode is Mode.DIGEST else None,
        tz if mode is Mode.DIGEST else DEFAULT_TZ,
        ctx.actor.ref,
        ctx.now,
        cards=cards,
        community_id=ctx.community.id,
    )
    scope = f"{tracker.title} ({_named(ctx, tracker)})" if tracker else "every tracker"
    lines = [f"Mode: {sub.describe()}."]
    if was_paused:
        lines.append("Alerts to this channel were paused (it could not be reached); resumed.")
    if tracker is None and len(alerts.channel_subscriptions(channel)) > 1:
        lines.append("A tracker's own subscription here takes precedence over 'all'.")
    if created:
        title = f"This channel now gets {sub.describe()} for {scope}"
    elif before == (sub.mode, sub.digest_at, sub.tz):
        title = f"Already subscribed: this channel gets {sub.describe()} for {scope}"
    else:
        title = f"Updated: this channel now gets {sub.describe()} for {scope}"
    return Reply(
        title=title,
        lines=tuple(lines),
        context=(
            f"Set by {ctx.actor.display_name}. /tally subscriptions lists them; "
            f"/tally unsubscribe {sub.scope} stops it.",
        ),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"subscription": _data(sub), "created": created, "resumed": was_paused},
    )


SUBSCRIBE = Command(
    path=("subscribe",),
    summary="Send this channel alerts: every change, milestones only, a daily digest, or new "
    "suggestions.",
    handler=subscribe,
    args=SubscribeArgs,
    moderator_only=True,
    channel_managers=True,
    follows=True,
    params=(
        Param(
            "tracker",
            ParamKind.TRACKER,
            "Tracker slug, or all; optional if only one is open.",
            positional=True,
            metavar="TRACKER|all",
        ),
        Param(
            "mode",
            ParamKind.CHOICE,
            "every change (default), milestones (outcome changes), a daily digest, or "
            "suggestions (every change and each new suggestion: a moderators' channel).",
            choices=("every", "milestones", "digest", "suggestions"),
            aliases=(
                ("all", "every"),
                ("milestone", "milestones"),
                ("daily", "digest"),
                ("suggestion", "suggestions"),
            ),
            enum=Mode,
        ),
        Param("at", ParamKind.TEXT, "Digest time, 24-hour (default 09:00).", metavar="HH:MM"),
        Param(
            "tz",
            ParamKind.TEXT,
            "Time zone of at= (default UTC).",
            metavar="Europe/Brussels",
        ),
        Param(
            "cards",
            ParamKind.CHOICE,
            "on: milestone alerts carry the tally card (a picture); off (default).",
            choices=("on", "off"),
        ),
    ),
    examples=(
        "/tally subscribe nato-sg-2024",
        "/tally subscribe all mode=milestones",
        "/tally subscribe nato-sg-2024 mode=digest at=08:30 tz=Europe/Brussels",
        "/tally subscribe nato-sg-2024 mode=suggestions (a moderators' channel)",
    ),
)


@dataclass(frozen=True)
class UnsubscribeArgs:
    tracker: str | None = None
    """A tracker's slug, or all."""


def unsubscribe(ctx: Context, args: UnsubscribeArgs) -> Reply:
    channel = _channel(ctx)
    alerts = ctx.alerts
    current = alerts.channel_subscriptions(channel)
    if not current:
        raise UserError("This channel has no subscriptions.")
    text = (args.tracker or "").strip()
    everything = text.lower() == ALL or (not text and len(current) == 1)
    tracker_id = None
    if not everything:
        tracker = _scope(ctx, text or None)
        assert tracker is not None
        tracker_id = tracker.id
        if not any(s.tracker_id == tracker_id for s in current):
            scopes = ", ".join(s.scope for s in current)
            raise UserError(
                f"This channel has no subscription to {tracker.slug} (it has: {scopes}). "
                "/tally unsubscribe all stops them all."
            )
    removed = alerts.unsubscribe(channel, tracker_id, everything, ctx.now)
    scopes = ", ".join(s.scope for s in removed)
    return Reply(
        title=f"This channel no longer gets alerts for {scopes}",
        context=(f"Stopped by {ctx.actor.display_name}; alerts not yet sent were dropped.",),
        colour=Colour.INFO,
        visibility=Visibility.PUBLIC,
        data={"removed": [_data(s) for s in removed]},
    )


UNSUBSCRIBE = Command(
    path=("unsubscribe",),
    summary="Stop this channel's alerts for a tracker, or all of them.",
    handler=unsubscribe,
    args=UnsubscribeArgs,
    moderator_only=True,
    channel_managers=True,
    follows=True,
    params=(
        Param(
            "tracker",
            ParamKind.TRACKER,
            "Tracker slug, or all (every subscription of this channel).",
            positional=True,
            metavar="TRACKER|all",
        ),
    ),
)


def list_subscriptions(ctx: Context, args: NoArgs) -> Reply:
    channel = _channel(ctx)
    alerts = ctx.alerts
    subs = alerts.channel_subscriptions(channel)
    state = alerts.channel_state(channel)
    lines = []
    if not subs:
        lines.append("This channel gets no alerts. /tally subscribe [TRACKER|all] starts them.")
    if state.paused:
        lines.append(
            f"⏸ Paused since {state.paused_at:%Y-%m-%d %H:%M} UTC: {state.paused_reason}. "
            f"{state.pending} alert(s) wait; /tally subscribe again resumes."
        )
    elif state.pending:
        lines.append(f"{state.pending} alert(s) on their way.")
    if state.undeliverable:
        lines.append(
            f"{state.undeliverable} alert(s) could not be delivered: the platform refused them."
        )
    fields = [
        Field(f"{s.scope}", (f"{s.describe()} · since {s.created_at:%Y-%m-%d}",)) for s in subs
    ]
    paused = alerts.paused_channels(channel.platform, channel.workspace)
    others = [p for p in paused if p.channel != channel]
    if others:
        items = tuple(
            f"{p.channel.channel}: {p.paused_reason} (since {p.paused_at:%Y-%m-%d %H:%M} UTC, "
            f"{p.pending} waiting)"
            for p in others
        )
        title = f"Paused channels in this workspace ({len(items)})"
        fields.append(Field(title, items, separator="\n"))
    return Reply(
        title="Alert subscriptions of this channel",
        lines=tuple(lines),
        fields=tuple(fields),
        context=("Moderators and channel managers can subscribe or unsubscribe.",),
        colour=Colour.BLOCKED if state.paused else Colour.INFO,
        data={
            "channel": channel.channel,
            "subscriptions": [_data(s) for s in subs],
            "paused": state.paused,
            "paused_reason": state.paused_reason,
            "pending": state.pending,
            "undeliverable": state.undeliverable,
            "paused_channels": [
                {"channel": p.channel.channel, "reason": p.paused_reason, "pending": p.pending}
                for p in paused
            ],
        },
    )


SUBSCRIPTIONS = Command(
    path=("subscriptions",),
    summary="What this channel gets, and channels paused because they could not be reached.",
    handler=list_subscriptions,
    args=NoArgs,
)


def _named(ctx: Context, tracker: Tracker) -> str:
    """A followed tracker of another community is named as COMMUNITY/SLUG."""
    if tracker.community_id == ctx.community.id:
        return tracker.slug
    owner = ctx.repo.community_name_of(tracker)
    return f"{owner}/{tracker.slug}"


def _channel(ctx: Context) -> ChannelRef:
    actor = ctx.actor
    if not actor.channel:
        raise UserError("Run this in the channel that should get the alerts.")
    return ChannelRef(actor.platform, actor.workspace, actor.channel)


def _scope(ctx: Context, text: str | None) -> Tracker | None:
    """None for 'all'; otherwise the named tracker, or the only open one."""
    if text and text.strip().lower() == ALL:
        return None
    if text:
        return ctx.tracker(text)
    try:
        return ctx.tracker(None)
    except UserError as exc:
        raise UserError(f"{exc.message} Or name 'all' for every tracker.") from None


def _data(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "tracker": sub.scope,
        "mode": str(sub.mode),
        "at": sub.digest_at,
        "tz": sub.tz if sub.mode is Mode.DIGEST else None,
        "cards": sub.cards,
    }
