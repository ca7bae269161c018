"""Communities: who owns trackers, moderators, subscriptions and imported bodies.

Each Slack workspace and each Discord server belongs to exactly one community (the console and
`tallybot exec` to `local`); a command sees only its community's trackers, plus other
communities' public trackers named as COMMUNITY/SLUG, which it may read and follow but never
write to."""

from __future__ import annotations

import re
from dataclasses import dataclass

LOCAL = "local"
"""The console's community, and the one a database from before communities is upgraded into."""

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@dataclass(frozen=True)
class Community:
    id: int
    slug: str
    name: str

    def qualified(self, tracker_slug: str) -> str:
        """How another community names one of its trackers: COMMUNITY/SLUG."""
        return f"{self.slug}/{tracker_slug}"


NO_COMMUNITY = Community(0, "", "")
"""A workspace's community before its first write: it owns nothing yet (no row has id 0),
so a read never has to write just to find out that there is nothing to see."""


def split_qualified(name: str) -> tuple[str | None, str]:
    """'nato-desk/sg' -> ('nato-desk', 'sg'); 'sg' -> (None, 'sg')."""
    community, sep, slug = name.partition("/")
    return (community, slug) if sep else (None, name)


def default_slug(platform: str, workspace: str) -> str:
    """The slug a new workspace's own community starts with (renamed with /tally community
    name): platform and workspace id, lower case, so it is unique without asking anyone."""
    if platform == "console":
        return workspace  # the console's workspace is `local`: its community is `local`
    cleaned = re.sub(r"[^a-z0-9-]+", "-", f"{platform}-{workspace}".lower()).strip("-")
    return cleaned[:40]
