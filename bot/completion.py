"""Suggestions while a user types an option: trackers, members, candidates, rules, bodies.

Platform-neutral (no chat library here): Discord maps them to autocomplete choices; the
console's tab offers `line_words`. Best matches first, at most `limit` (Discord allows 25).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.commands.context import Actor
from bot.commands.spec import Command, Param, ParamKind
from bot.domain import Stance, Tracker, TrackerKind, TrackerStatus
from bot.errors import NotFound
from bot.members import Body, normalise
from bot.rules import RULE_NAMES
from bot.storage import Records, Store, Transaction
from bot.tenancy import records_for

MAX_SUGGESTIONS = 25
LABEL_LIMIT = 100
"""Discord caps a choice's name and value at 100 characters; a fine cap for any list."""
DEFAULT_BODY = "nato"
COMPLETED_KINDS = frozenset(
    {ParamKind.TRACKER, ParamKind.MEMBER, ParamKind.CANDIDATE, ParamKind.RULE, ParamKind.BODY}
)
_THRESHOLD = re.compile(r"^threshold\s*=\s*\d+$")


@dataclass(frozen=True)
class Suggestion:
    label: str
    """What the user sees: '🇬🇧 United Kingdom (GB)'."""
    value: str
    """What goes back into the command: 'GB'."""


def completes(param: Param) -> bool:
    """Whether `suggest` has anything to offer for this parameter."""
    return param.kind in COMPLETED_KINDS or bool(param.choices)


async def suggest(
    store: Store,
    param: Param,
    text: str,
    *,
    actor: Actor,
    shared: str | None = None,
    tracker: str | None = None,
    body: str | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """Suggestions for `param` given what was typed; `tracker`/`body` are the other options.
    Only what `actor`'s community sees is offered (`shared`: TALLYBOT_SHARED_COMMUNITY)."""
    if param.kind is ParamKind.RULE:
        return _rules(text, limit)
    if param.choices and param.kind not in COMPLETED_KINDS:
        return _ranked(((c, c) for c in param.choices), text, limit)
    if param.kind not in COMPLETED_KINDS:
        return []
    now = datetime.now(UTC)

    def work(tx: Transaction) -> list[Suggestion]:
        records = records_for(tx.records, actor, now, shared)
        return suggestions(records, param, text, tracker, body, limit)

    return await store.run(work, write=False)


def suggestions(
    repo: Records,
    param: Param,
    text: str,
    tracker: str | None = None,
    body: str | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """The same, synchronously, for code already on the store thread."""
    text = (text or "").strip()
    if param.kind is ParamKind.TRACKER:
        return _trackers(repo, text, limit)
    if param.kind is ParamKind.BODY:
        pairs = ((slug, f"{slug} — {repo.body(slug).name}") for slug in repo.body_slugs())
        return _ranked(((label, slug) for slug, label in pairs), text, limit, keys=_slug_key)
    if param.kind is ParamKind.MEMBER:
        chosen = _body(repo, tracker, body)
        if chosen is None:
            return []
        return [
            Suggestion(_clip(f"{m.flag} {m.name} ({m.code})"), m.code)
            for m in chosen.search(text, limit)
        ]
    if param.kind is ParamKind.CANDIDATE:
        found = _tracker(repo, tracker)
        if found is None:
            return []
        return _candidates(found, text, limit)
    if param.kind is ParamKind.RULE:
        return _rules(text, limit)
    return []


def command_words(commands: Sequence[Command[Any]]) -> set[str]:
    """The words of a typed command line that come from the spec: command words, stances and
    `option=` names (for completers that see one word, such as readline's tab)."""
    words = {part for command in commands for part in command.path}
    words |= {str(s) for s in Stance}
    words |= {f"{p.name}=" for c in commands for p in c.params if not p.positional}
    return words


def record_words(repo: Records) -> list[str]:
    """The words of a typed command line that come from the record: tracker slugs, and every
    body's member codes and names."""
    members = [m for slug in repo.body_slugs() for m in repo.body(slug).members]
    return [*repo.tracker_slugs(), *(m.code for m in members), *(m.name for m in members)]


def _trackers(repo: Records, text: str, limit: int) -> list[Suggestion]:
    pairs = []
    for tracker in repo.trackers(None, limit=200):
        state = "" if tracker.status is TrackerStatus.OPEN else f" ({tracker.status})"
        pairs.append((_clip(f"{tracker.slug} — {tracker.title}{state}"), tracker.slug))
    # repo.trackers lists open ones first, so equal ranks keep open trackers on top.
    return _ranked(pairs, text, limit, keys=_slug_key)


def _candidates(tracker: Tracker, text: str, limit: int) -> list[Suggestion]:
    if tracker.kind is TrackerKind.APPROVAL:
        pairs = [(stage, stage) for stage in tracker.stages]
    else:
        active = [(c.name, c.name) for c in tracker.candidates if c.withdrawn_on is None]
        gone = [
            (f"{c.name} (withdrew {c.withdrawn_on})", c.name)
            for c in tracker.candidates
            if c.withdrawn_on is not None
        ]
        pairs = active + gone
    return _ranked(pairs, text, limit)


def _rules(text: str, limit: int) -> list[Suggestion]:
    typed = text.strip().lower()
    if _THRESHOLD.match(typed):
        return [Suggestion(typed.replace(" ", ""), typed.replace(" ", ""))]
    named = [(name, name) for name in RULE_NAMES if "=" not in name]
    named.append(("threshold=N (type the number, e.g. threshold=24)", "threshold="))
    return _ranked(named, text, limit)


def _tracker(repo: Records, slug: str | None) -> Tracker | None:
    """The named tracker, else the only open one (as the commands themselves default)."""
    if slug:
        return repo.tracker_by_slug(slug.strip().lower())
    open_ones = repo.trackers(TrackerStatus.OPEN)
    return open_ones[0] if len(open_ones) == 1 else None


def _body(repo: Records, tracker: str | None, body: str | None) -> Body | None:
    """Whose members to offer: an explicit body, the tracker's, the open trackers' if they
    share one, else the default body."""
    slugs: list[str] = []
    if body:
        slugs.append(body.strip().lower())
    found = _tracker(repo, tracker)
    if found is not None:
        slugs.append(found.body)
    open_bodies = {t.body for t in repo.trackers(TrackerStatus.OPEN)}
    if len(open_bodies) == 1:
        slugs.append(open_bodies.pop())
    slugs.append(DEFAULT_BODY)
    known = set(repo.body_slugs())
    for slug in slugs:
        if slug in known:
            try:
                return repo.body(slug)
            except NotFound:
                continue
    return None


def _slug_key(label: str, value: str) -> list[str]:
    return [normalise(value), normalise(label)]


def _name_keys(label: str, value: str) -> list[str]:
    return [normalise(label), normalise(value)]


def _ranked(
    pairs: Iterable[tuple[str, str]],
    text: str,
    limit: int,
    keys: Callable[[str, str], list[str]] = _name_keys,
) -> list[Suggestion]:
    """Exact, then prefix, then word prefix, then substring, then close spellings."""
    items = [Suggestion(_clip(label), value[:LABEL_LIMIT]) for label, value in pairs]
    key = normalise(text)
    if not key:
        return items[:limit]
    ranked: list[tuple[int, int, Suggestion]] = []
    leftovers: dict[str, Suggestion] = {}
    for order, item in enumerate(items):
        names = [k for k in keys(item.label, item.value) if k]
        words = [w for name in names for w in name.split()]
        if key in names:
            rank = 0
        elif any(n.startswith(key) for n in names):
            rank = 1
        elif any(w.startswith(key) for w in words):
            rank = 2
        elif any(key in n for n in names):
            rank = 3
        else:
            for name in names:
                leftovers.setdefault(name, item)
            continue
        ranked.append((rank, order, item))
    ranked.sort(key=lambda entry: entry[:2])
    found = [item for _, _, item in ranked]
    for name in difflib.get_close_matches(key, list(leftovers), n=limit, cutoff=0.6):
        if leftovers[name] not in found:
            found.append(leftovers[name])
    return found[:limit]


def _clip(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"
