"""What a command handler runs with: the records and alerts inside its transaction, who asks,
and when."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.communities import NO_COMMUNITY, Community
from bot.domain import Tracker, TrackerStatus, TrackerVisibility
from bot.errors import NotFound, UserError
from bot.events import DomainEvent
from bot.members import Body
from bot.storage import Alerts, Feeds, Records, Suggestions
from bot.suggestions.model import SuggestionRules


@dataclass(frozen=True)
class Actor:
    """Who runs a command. Adapters fill it from the platform's identity."""

    platform: str
    workspace: str
    user_id: str
    display_name: str
    platform_moderator: bool = False
    """The platform already grants write rights (Slack admin, Discord Manage Server, operator)."""
    channel: str | None = None
    channel_manager: bool = False
    """The platform lets this user manage `channel` (Discord Manage Channels, Slack channel
    manager or admin): enough to choose the channel's alert subscriptions."""
    direct: bool = False
    """A direct message (Slack D… channel, Discord without a server): read-only."""
    community: str | None = None
    """Act in this community (`tallybot exec --community SLUG`) rather than the workspace's."""
    enterprise: str | None = None
    """Slack Enterprise Grid organisation of the workspace, kept with its community membership."""

    @property
    def scope(self) -> tuple[str, str, str | None]:
        """What decides which community a command sees (cached reads are kept per scope)."""
        return self.platform, self.workspace, self.community

    @property
    def ref(self) -> str:
        """How the actor is recorded in `recorded_by`: platform:workspace:user (name)."""
        return f"{self.platform}:{self.workspace}:{self.user_id} ({self.display_name})"


@dataclass
class Context:
    repo: Records
    alerts: Alerts
    actor: Actor
    now: datetime
    events: list[DomainEvent] = field(default_factory=list)
    public_url: str | None = None
    """TALLYBOT_PUBLIC_URL, for links to a public tracker's page."""
    community: Community = NO_COMMUNITY
    """The actor's community: `repo` is already its view."""
    writing: bool = False
    """The command changes the record: only the community's own trackers can be named."""
    feeds: Feeds | None = None
    """The news feeds (every community's: `community.id` picks this one's)."""
    suggestions_store: Suggestions | None = None
    """The review queue, in the same transaction (the suggest and review commands)."""
    suggestion_rules: SuggestionRules = field(default_factory=SuggestionRules)

    @property
    def suggestions(self) -> Suggestions:
        if self.suggestions_store is None:
            raise RuntimeError("this context was made without the suggestions store")
        return self.suggestions_store

    @property
    def today(self) -> date:
        return self.now.date()

    def tracker(self, slug: str | None) -> Tracker:
        """The named tracker; without a name, the only open one (archived ones are never
        picked)."""
        if slug:
            tracker = self.repo.tracker_by_slug(slug.strip().lower())
            if tracker is not None and self.writing and tracker.community_id != self.community.id:
                tracker = None  # another community's public tracker: read and follow only
            if tracker is None:
                known = self.repo.tracker_slugs()
                close = _close(slug.lower(), known)
                hint = f" Did you mean {close}?" if close else ""
                listing = f" Trackers: {', '.join(known)}." if known and not close else ""
                if not known:
                    listing = " There are no trackers yet: /tally tracker new (or tallybot demo)."
                raise NotFound(f"No tracker '{slug}'.{hint}{listing}")
            return tracker
        open_ones = self.repo.trackers(TrackerStatus.OPEN, include_archived=False)
        if len(open_ones) == 1:
            return open_ones[0]
        if not open_ones:
            archived = [t.slug for t in self.repo.trackers(TrackerStatus.OPEN) if t.archived]
            if archived:
                raise UserError(
                    f"No open tracker outside the archive: name one ({', '.join(archived)} "
                    "is archived)."
                )
            raise UserError(
                "No open tracker. Name one (see /tally trackers) or create one with "
                "/tally tracker new."
            )
        slugs = ", ".join(t.slug for t in open_ones)
        raise UserError(f"Several trackers are open ({slugs}): name one.")

    def body(self, tracker: Tracker) -> Body:
        return self.repo.body(tracker.body)

    def page_url(self, tracker: Tracker) -> str | None:
        """The tracker's public page, when it is public and the pages have an address."""
        if self.public_url and tracker.visibility is TrackerVisibility.PUBLIC:
            community = self.repo.community_name_of(tracker)
            where = f"{community}/{tracker.slug}" if community else tracker.slug
            return f"{self.public_url}/t/{where}"
        return None

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)


def _close(word: str, known: list[str]) -> str | None:
    found = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    return found[0] if found else None
