"""The storage contract: what the core asks of a store, whichever database is behind it.

bot/ only ever sees these protocols; store/ implements them on SQLite (store/thread.py) and on
PostgreSQL (store/postgres/store.py), and only the launcher picks the implementation. A unit of
work is a function of one `Transaction` (its `.records` and `.alerts`), run by `Store.run` all
or nothing, so a command and the alert rows it causes commit together. On PostgreSQL a writing
unit of work may be run more than once (it lost a race with another writer and was rolled
back): it must do nothing outside the transaction that a second run would repeat. The protocols
list what callers use, nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from bot.alerts.channels import ChannelRef
from bot.alerts.model import ChannelClaim, ChannelState, Mode, PendingAlert, Subscription, Variant
from bot.communities import Community
from bot.domain import (
    Declaration,
    NewDeclaration,
    Tracker,
    TrackerKind,
    TrackerStatus,
    TrackerVisibility,
)
from bot.feeds.model import Feed
from bot.installations import Installations
from bot.members import Body, Member
from bot.rules import Rule
from bot.suggestions.model import Proposal, Source, Suggestion, SuggestionStatus
from bot.timeline import PositionRow

T = TypeVar("T")


class Records(Protocol):
    """Trackers, declarations, bodies, moderators, tracker events and amendments.

    Unscoped (what a unit of work is handed) it holds every community's records; `scoped`
    gives one community's view, which is all a command ever sees: its own trackers, bodies,
    declarations and moderators, plus other communities' public trackers (COMMUNITY/SLUG, or by
    id) to read."""

    def scoped(self, community_id: int) -> Records: ...
    def community_of(self, platform: str, workspace: str) -> Community | None: ...
    def community_by_slug(self, slug: str) -> Community | None: ...
    def new_community(self, slug: str, now: datetime) -> Community: ...
    def join_community(
        self, platform: str, workspace: str, community_id: int, now: datetime
    ) -> None: ...
    def create_community(
        self, platform: str, workspace: str, now: datetime, enterprise: str | None = None
    ) -> Community: ...

    def community_name_of(self, tracker: Tracker) -> str: ...
    def community_members(self, community_id: int) -> list[tuple[str, str]]: ...
    def community_moderators(self, community_id: int) -> list[str]: ...
    def rename_community(self, community_id: int, slug: str) -> Community: ...
    def add_invite(
        self, community_id: int, code: str, by: str, now: datetime, expires_at: datetime
    ) -> None: ...
    def use_invite(self, code: str, by: str, now: datetime) -> Community | None: ...
    def move_workspace(
        self, platform: str, workspace: str, target: Community, now: datetime
    ) -> list[str]: ...
    def leave_community(self, platform: str, workspace: str, now: datetime) -> Community: ...
    def body(self, slug: str) -> Body: ...
    def body_slugs(self) -> list[str]: ...
    def create_tracker(
        self,
        *,
        slug: str,
        title: str,
        body: str,
        kind: TrackerKind,
        rule: Rule,
        opened: date,
        candidates: Iterable[str],
        stages: Iterable[str],
        subject: str | None,
        created_by: str,
        now: datetime,
        visibility: TrackerVisibility = TrackerVisibility.PRIVATE,
    ) -> Tracker: ...
    def tracker_exists(self, slug: str) -> bool: ...
    def tracker_by_id(self, tracker_id: int) -> Tracker: ...
    def tracker_by_slug(self, slug: str) -> Tracker | None: ...
    def trackers(
        self,
        status: TrackerStatus | None = None,
        limit: int = 50,
        include_archived: bool = True,
    ) -> list[Tracker]: ...
    def tracker_slugs(self) -> list[str]: ...
    def public_tracker_ids(self, limit: int) -> list[int]: ...
    def change_stamp(self) -> tuple[int, int]: ...

    """Moves whenever anything is written, by this process or another."""

    def last_change(self, tracker_id: int) -> datetime | None: ...
    def revision(self, tracker_id: int) -> tuple[int, ...]: ...
    def update_tracker(self, tracker_id: int, values: dict[str, Any]) -> None: ...
    def add_candidate(self, tracker_id: int, name: str) -> None: ...
    def rename_candidate(self, candidate_id: int, name: str) -> None: ...
    def reinstate_candidate(self, candidate_id: int) -> None: ...
    def tracker_events(self, tracker_id: int) -> list[dict[str, Any]]: ...
    def amendment_events(self, tracker_id: int) -> list[dict[str, Any]]: ...
    def first_declaration_on(self, tracker_id: int) -> date | None: ...
    def last_declaration_on(self, tracker_id: int) -> date | None: ...
    def declaration_dates(self, tracker_id: int) -> list[date]: ...
    def declared_members(self, tracker_id: int) -> set[str]: ...
    def withdraw_candidate(self, candidate_id: int, on: date) -> None: ...
    def close_tracker(
        self, tracker_id: int, status: TrackerStatus, outcome: str, on: date
    ) -> None: ...
    def add_tracker_event(
        self, tracker_id: int, kind: str, detail: str, on: date, by: str, now: datetime
    ) -> int: ...
    def add_declaration(self, new: NewDeclaration) -> Declaration: ...
    def add_amendment(
        self, declaration_id: int, changes: dict[str, str | None], by: str, now: datetime
    ) -> None: ...
    def add_declarations(self, rows: Iterable[NewDeclaration], batch_size: int = 1000) -> None: ...
    def declaration(self, declaration_id: int) -> Declaration: ...
    def positions(self, tracker: Tracker, as_of: date) -> dict[str, Declaration]: ...
    def position_rows(self, tracker_id: int) -> list[PositionRow]: ...
    def standing(
        self,
        tracker_id: int,
        member: str,
        as_of: date,
        *,
        skip: int | None = None,
        revive: int | None = None,
    ) -> Declaration | None: ...
    def history(
        self,
        tracker_id: int,
        member: str | None = None,
        limit: int = 20,
        offset: int = 0,
        before: Declaration | None = None,
    ) -> list[Declaration]: ...
    def count_declarations(
        self, tracker_id: int, member: str | None = None, before: Declaration | None = None
    ) -> int: ...
    def retract(self, declaration_id: int, reason: str, by: str, now: datetime) -> None: ...
    def tracker_record(self, tracker_id: int) -> dict[str, Any]: ...
    def is_moderator(self, platform: str, workspace: str, user_id: str) -> bool: ...
    def add_moderator(
        self, platform: str, workspace: str, user_id: str, by: str, now: datetime
    ) -> bool: ...
    def remove_moderator(self, platform: str, workspace: str, user_id: str) -> bool: ...
    def moderators(self, platform: str, workspace: str) -> list[dict[str, Any]]: ...

    # The launcher's import commands (tallybot body import, tallybot import) write through
    # the same contract, so another store can serve them too.
    def save_body(self, slug: str, name: str, members: Iterable[Member], now: datetime) -> None: ...
    def import_tracker_record(
        self, record: dict[str, Any], slug: str, by: str, now: datetime
    ) -> Tracker: ...


class Alerts(Protocol):
    """Subscriptions, channel health, alert events and the outbox."""

    def subscribe(
        self,
        channel: ChannelRef,
        tracker_id: int | None,
        mode: Mode,
        digest_at: str | None,
        tz: str,
        by: str,
        now: datetime,
        cards: bool = False,
        community_id: int | None = None,
    ) -> tuple[Subscription, bool]: ...
    def unsubscribe(
        self, channel: ChannelRef, tracker_id: int | None, everything: bool, now: datetime
    ) -> list[Subscription]: ...
    def active_subscription(self, sub_id: int) -> Subscription | None: ...
    def channel_subscriptions(self, channel: ChannelRef) -> list[Subscription]: ...
    def matching_subscriptions(self, tracker_id: int) -> list[Subscription]: ...
    def digest_subscriptions(self) -> list[Subscription]: ...
    def subscriptions_version(self) -> tuple[int, str]: ...
    def channel_state(self, channel: ChannelRef) -> ChannelState: ...
    def paused_channels(self, platform: str, workspace: str) -> list[ChannelState]: ...
    def pause_workspace(self, platform: str, workspace: str, reason: str, now: datetime) -> int:
        """Pause every channel of the workspace that has a subscription or an alert state (the
        app was uninstalled); returns how many were paused now."""
        ...

    def resume_workspace(self, platform: str, workspace: str, reason: str) -> int:
        """Resume the workspace's channels paused for `reason` (the app is installed again)."""
        ...

    def record_gone(
        self, channel: ChannelRef, reason: str, now: datetime, pause_after: int
    ) -> ChannelState: ...
    def add_event(
        self,
        *,
        kind: str,
        tracker_id: int | None,
        declaration_id: int | None,
        summary: str,
        reply_json: str,
        milestone_json: str | None,
        recorded_at: datetime,
        digest_key: str | None = None,
    ) -> int | None: ...
    def digest_written(self, digest_key: str) -> bool: ...
    def last_digest_end(self, sub_id: int) -> datetime | None: ...
    def add_outbox_rows(
        self, event_id: int, rows: Iterable[tuple[Subscription, Variant]], now: datetime
    ) -> int: ...
    def events_between(
        self, tracker_ids: list[int] | None, start: datetime, end: datetime
    ) -> list[dict[str, Any]]: ...
    def due_heads(self) -> list[PendingAlert]: ...
    def next_pending(self, channel: ChannelRef) -> PendingAlert | None: ...
    def mark_sent(self, row_id: int, message_id: str, now: datetime) -> bool: ...
    def set_aside(self, row_id: int, error: str, now: datetime) -> bool: ...
    def record_failure(self, row_id: int, error: str, now: datetime) -> None: ...

    # Leases: one deliverer per channel across every process (store/claims.py says how).
    def adopt_channels(self) -> int: ...
    def next_claim_at(
        self, holder: str, platforms: Collection[str], now: datetime
    ) -> datetime | None: ...
    def claim_channels(
        self,
        holder: str,
        platforms: Collection[str],
        now: datetime,
        until: datetime,
        limit: int,
        skip: Collection[ChannelRef] = (),
    ) -> list[ChannelClaim]: ...
    def renew_leases(self, holder: str, now: datetime, until: datetime) -> list[ChannelRef]: ...
    def release_channel(
        self, holder: str, channel: ChannelRef, pace: str | None, *, drained_only: bool = True
    ) -> bool: ...
    def note_pace(self, holder: str, channel: ChannelRef, pace: str) -> None: ...


class Guards(Protocol):
    """What keeps a public bot safe across processes: the replay record of signed requests
    and the counts behind the limits (bot/limits.py)."""

    # Records a signed request until `expires`; False if it was already recorded (a replay).
    def first_sight(
        self, signature: str, timestamp: int, expires: datetime, now: datetime
    ) -> bool: ...
    def writes_since(self, actor: str, since: datetime) -> int: ...
    def note_write(self, actor: str, now: datetime, forget_before: datetime) -> None: ...
    def community_trackers(self, community_id: int) -> int: ...
    def channel_subscriptions(self, platform: str, workspace: str, channel: str) -> int: ...
    def community_subscriptions(self, community_id: int) -> int: ...


class Feeds(Protocol):
    """News feeds a community reads, and the items each has already seen (so each new item is
    suggested once). Unscoped: every method names the community or the feed."""

    def add_feed(
        self,
        *,
        community_id: int,
        url: str,
        tracker_id: int,
        keywords: tuple[str, ...],
        interval_seconds: int,
        by: str,
        now: datetime,
    ) -> Feed: ...
    def feeds(self, community_id: int) -> list[Feed]: ...
    def feed(self, feed_id: int) -> Feed | None: ...
    def remove_feed(self, feed_id: int) -> bool:
        """Removes the feed and what it has seen; the suggestions it made stay."""
        ...

    def due_feeds(self, now: datetime, limit: int) -> list[Feed]:
        """Feeds of every community whose next try has come, the longest waiting first."""
        ...

    def claim_due(self, now: datetime, limit: int, hold_until: datetime) -> list[Feed]:
        """The due feeds this caller may read: each is moved to `hold_until` by a conditional
        update, so another process (or a second run) claiming at the same moment gets none of
        them; the read then sets the real next try. A reader that dies leaves the feed to be
        tried again after the hold."""
        ...

    def record_read(
        self,
        feed_id: int,
        *,
        now: datetime,
        status: str,
        etag: str | None,
        modified: str | None,
        title: str | None,
        next_try_at: datetime,
        suggested: int,
    ) -> None:
        """The server answered (200 or 304): errors in a row drop to none."""
        ...

    def record_failure(
        self, feed_id: int, *, now: datetime, error: str, next_try_at: datetime
    ) -> None: ...
    def unseen(self, feed_id: int, keys: list[str]) -> list[str]:
        """Those of `keys` (item ids or links) the feed has not seen, in the order given."""
        ...

    def mark_seen(self, feed_id: int, keys: list[str], now: datetime) -> None: ...
    def forget_seen(self, feed_id: int, keep: list[str], before: datetime) -> int:
        """Drop the feed's seen items marked before `before` except `keep` (those still in the
        document): the table does not grow for ever. Returns how many were dropped."""
        ...


class Suggestions(Protocol):
    """Proposed declarations waiting for a moderator (bot/suggestions/). Every method runs in
    the caller's transaction; `decide` is the one conditional step that makes a double press
    record once."""

    def add(self, proposal: Proposal, source: Source, expires_at: datetime) -> Suggestion: ...
    def pending_like(self, proposal: Proposal) -> Suggestion | None:
        """The pending suggestion of the same tracker, member, stance and target, if any."""
        ...

    def add_source(self, suggestion_id: int, source: Source, expires_at: datetime) -> Suggestion:
        """Merge a duplicate: keep its source (unless the URL is already there) and push the
        expiry to `expires_at`."""
        ...

    def get(self, suggestion_id: int) -> Suggestion | None: ...
    def pending(
        self, community_id: int, tracker_id: int | None = None, limit: int = 20
    ) -> list[Suggestion]:
        """The community's pending suggestions (of one tracker, or all), oldest first."""
        ...

    def count_pending(self, community_id: int, tracker_id: int | None = None) -> int: ...
    def decided(
        self, community_id: int, tracker_id: int | None = None, limit: int = 5
    ) -> list[Suggestion]:
        """The community's latest decided suggestions (confirmed, rejected, expired), newest
        decision first."""
        ...

    def decide(
        self,
        suggestion_id: int,
        status: SuggestionStatus,
        by: str,
        now: datetime,
        reason: str | None = None,
    ) -> bool:
        """pending -> `status`, only if still pending (a conditional UPDATE): False when
        someone else decided it first."""
        ...

    def link_declaration(self, suggestion_id: int, declaration_id: int) -> None: ...
    def expire(self, now: datetime) -> int:
        """Pending suggestions past their expiry become expired; returns how many."""
        ...

    def suggested_since(self, suggester: str, since: datetime) -> int:
        """Sources offered by `suggester` (bot.suggestions.model.person_key) since `since`."""
        ...


class Transaction(Protocol):
    """One unit of work's view of the store: everything it does commits or rolls back together."""

    @property
    def records(self) -> Records: ...

    @property
    def alerts(self) -> Alerts: ...

    @property
    def installations(self) -> Installations: ...
    @property
    def guards(self) -> Guards: ...
    @property
    def feeds(self) -> Feeds: ...
    @property
    def suggestions(self) -> Suggestions: ...


class Store(Protocol):
    """Runs units of work, each in its own transaction (rolled back if the work raises)."""

    async def run(
        self, work: Callable[[Transaction], T], *, write: bool = True, queue: bool = False
    ) -> T:
        """`work` in one transaction; `write=False` only for work that never writes (it does
        not wait for another writer, and the store refuses any write it attempts).

        `queue=True` for work on the alert queue that keeps itself safe with row locks and
        updates that re-check their own condition (claims, leases, marking a row sent): it
        then need not be serialisable against every other writer, so many processes working
        the queue at once never refuse each other (READ COMMITTED on PostgreSQL; SQLite
        serialises every writer anyway and ignores it)."""
        ...

    def run_blocking(self, work: Callable[[Transaction], T], *, write: bool = True) -> T:
        """The same, from code that has no event loop (CLI set-up, benchmarks' loaders)."""
        ...

    def version(self) -> int:
        """A number that changes whenever anyone commits (this process or another): what an
        in-memory cache checks before it answers from memory."""
        ...

    def close(self) -> None: ...
