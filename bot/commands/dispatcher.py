"""Running a command: parse or convert, check rights, run the handler in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.alerts.channels import Messenger
from bot.commands.context import Actor, Context
from bot.commands.converters import convert_args
from bot.commands.parser import Invocation, parse
from bot.commands.spec import Command
from bot.errors import PermissionDenied, UserError
from bot.events import DomainEvent
from bot.limits import Limits, WriteGuard
from bot.replies import Reply
from bot.storage import Records, Store, Transaction
from bot.suggestions.model import SuggestionRules, person_key
from bot.tally_cache import TallyCache
from bot.tenancy import community_for

log = logging.getLogger(__name__)

EventWriter = Callable[[Transaction, list[DomainEvent]], None]
"""Runs inside the command's transaction (alerts write their outbox rows here)."""
CommitListener = Callable[[list[DomainEvent]], Awaitable[None] | None]
"""Runs after the commit (alerts wake the scheduler here)."""


DRAINING = (
    "tallybot is restarting and takes no new command: nothing was done. Try again in a minute."
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        commands: Sequence[Command[Any]],
        clock: Callable[[], datetime] = utc_now,
        cache: TallyCache | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        """Read replies kept between commits: a hit never goes to the store thread."""
        self.commands = tuple(commands)
        self.clock = clock
        self.event_writers: list[EventWriter] = []
        self.commit_listeners: list[CommitListener] = []
        self.public_url: str | None = None
        """Where public tracker pages live (TALLYBOT_PUBLIC_URL), for "View online" links."""
        self.limits = Limits()
        """Writes per user per minute, trackers and subscriptions (settings.limits)."""
        self.shared_community: str | None = None
        """TALLYBOT_SHARED_COMMUNITY: new workspaces join it rather than get their own."""
        self.draining = False
        """Stopping on a signal: commands already running finish, new ones are refused with
        a sentence (answered, but nothing read or written)."""
        self.suggestion_rules = SuggestionRules()
        """Suggestions per person per hour and how long one waits (settings)."""
        self.messengers: dict[str, Messenger] = {}
        """Per platform, who tells a person something directly (a suggester the outcome)."""
        self._telling: set[asyncio.Task[None]] = set()

    async def settle(self) -> None:
        """Wait for the notices still being sent (before stopping; tests)."""
        while self._telling:
            await asyncio.gather(*list(self._telling), return_exceptions=True)

    def command(self, key: str) -> Command[Any]:
        return next(c for c in self.commands if c.key == key)

    def parse(self, text: str) -> Invocation:
        return parse(text, self.commands)

    async def run_text(self, text: str, actor: Actor) -> Reply:
        try:
            invocation = self.parse(text)
        except UserError as exc:
            return Reply.error(exc.message)
        except Exception:
            return self._failure(self.commands[0])
        return await self.run_invocation(invocation, actor)

    async def run_invocation(self, invocation: Invocation, actor: Actor) -> Reply:
        """A command already parsed (an adapter that needed its spec first parses only once)."""
        if invocation.near and not await self._is_tracker(invocation.args.get("tracker"), actor):
            word = invocation.args.get("tracker")
            return Reply.error(
                f"No command or tracker '{word}'. Did you mean /tally {invocation.near}?"
            )
        return await self.run(invocation.command, invocation.args, actor)

    async def _is_tracker(self, slug: str | None, actor: Actor) -> bool:
        """`/tally histroy`: only a typo of a command if the actor's community sees no tracker
        of that name."""
        if not slug:
            return False
        name, now = slug.strip().lower(), self.clock()

        def look(tx: Transaction) -> bool:
            found = community_for(tx.records, actor, False, now, self.shared_community)
            records = tx.records.scoped(found.id)
            return records.tracker_by_slug(name) is not None

        try:
            return await self.store.run(look, write=False)
        except UserError:
            return False  # no such community (exec --community): the command says so itself
        except Exception:
            log.exception("tracker look-up failed")
            return True

    def kept(
        self, command: Command[Any], raw: Mapping[str, object], scope: tuple[str, str, str | None]
    ) -> Reply | None:
        """The reply `run` would give right now if it is kept in the cache, else None: adapters
        answer with it at once (no task, no trip to the store thread). Only reads that do not
        depend on the asker beyond their community (`Actor.scope`) are kept."""
        if self.cache is None:
            return None
        today = self.clock().date()
        try:
            values = vars(convert_args(command, raw, today))
            key = self.cache.key(command.key, values, today, scope)
        except Exception:
            return None  # `run` says what is wrong with the arguments
        return self.cache.get(key) if key is not None else None

    async def run(self, command: Command[Any], raw: Mapping[str, object], actor: Actor) -> Reply:
        if self.draining:
            return Reply.error(DRAINING)
        now = self.clock()
        try:
            args = convert_args(command, raw, now.date())
        except UserError as exc:
            return Reply.error(exc.message)
        except Exception:
            return self._failure(command)
        values = vars(args)
        cache = self.cache
        key = cache.key(command.key, values, now.date(), actor.scope) if cache is not None else None
        if cache is not None and key is not None:
            kept = cache.get(key)
            if kept is not None:
                return kept
            token = cache.token()

        if command.writes and actor.direct:
            return Reply.error(_not_in_direct(command))

        def work(tx: Transaction) -> tuple[Reply, list[DomainEvent], int | None]:
            reply, events, records = self._handle(tx, command, args, actor, now)
            return reply, events, _tracker_id(records, reply) if key is not None else None

        try:
            # Only moderators' commands (and suggestions) write: they take the write lock up
            # front and wait their turn; everyone else's are reads that never wait for a writer.
            reply, events, tracker_id = await self.store.run(work, write=command.writes)
        except UserError as exc:
            return Reply.error(exc.message)
        except Exception:
            return self._failure(command)
        if cache is not None and key is not None:
            cache.put(key, token, reply, tracker_id, named=bool(values.get("tracker")))
        if cache is not None and command.moderator_only:
            cache.forget(events)
        if events:
            await self._notify(events)
        if reply.notices:  # told after the answer, never holding it up
            task = asyncio.ensure_future(self._tell(reply))
            self._telling.add(task)
            task.add_done_callback(self._telling.discard)
        if reply.drawings:
            # Imported here: the picture worker (and asyncio, threads) only when a reply draws.
            from bot.pictures.worker import draw_attachments

            try:
                reply = await draw_attachments(reply)
            except Exception:
                return self._failure(command)
        return reply

    async def run_all(self, texts: Sequence[str], actor: Actor) -> tuple[Reply, ...]:
        """Several commands in one transaction, all or nothing (the demo): the replies when
        every one succeeded, else only the first refusal, its command named, and nothing kept."""
        if self.draining:
            return (Reply.error(DRAINING),)
        now = self.clock()
        steps: list[tuple[Command[Any], Any]] = []
        for text in texts:
            try:
                invocation = self.parse(text)
                steps.append(
                    (
                        invocation.command,
                        convert_args(invocation.command, invocation.args, now.date()),
                    )
                )
            except UserError as exc:
                return (Reply.error(f"{text}: {exc.message}"),)

        def work(tx: Transaction) -> tuple[tuple[Reply, ...], list[DomainEvent]]:
            replies: list[Reply] = []
            events: list[DomainEvent] = []
            for text, (command, args) in zip(texts, steps, strict=True):
                try:
                    reply, done, _ = self._handle(tx, command, args, actor, now)
                except UserError as exc:
                    raise UserError(f"{text}: {exc.message}") from exc
                if not reply.ok:
                    raise UserError(f"{text}: {reply.title}")
                replies.append(reply)
                events += done
            return tuple(replies), events

        try:
            replies, events = await self.store.run(work, write=True)
        except UserError as exc:
            return (Reply.error(exc.message),)
        except Exception:
            return (self._failure(steps[0][0]),)
        if self.cache is not None:
            self.cache.clear()
        if events:
            await self._notify(events)
        return replies

    def _handle(
        self, tx: Transaction, command: Command[Any], args: Any, actor: Actor, now: datetime
    ) -> tuple[Reply, list[DomainEvent], Records]:
        """One command inside a transaction, in the asker's community: check rights, run the
        handler, write its events. Returns the records it saw (scoped to that community)."""
        community = community_for(tx.records, actor, command.writes, now, self.shared_community)
        records = tx.records.scoped(community.id)
        ctx = Context(
            records,
            tx.alerts,
            actor,
            now,
            public_url=self.public_url,
            community=community,
            writing=command.writes and not command.follows,
            suggestions_store=tx.suggestions,
            suggestion_rules=self.suggestion_rules,
            feeds=tx.feeds,
        )
        if command.moderator_only and not _may_write(records, actor):
            if command.channel_managers and not actor.channel_manager:
                raise PermissionDenied(
                    "Only moderators or people who manage this channel can run "
                    f"/tally {command.name}."
                )
            if not command.channel_managers:
                raise PermissionDenied(
                    "Only moderators can do that: "
                    f"/tally {command.name} {command.why_moderators}. Ask a moderator, "
                    "or an admin to add you with /tally moderator add."
                )
        guard = (
            WriteGuard(tx.guards, actor, community, self.limits, now)
            if command.moderator_only
            else None
        )
        if guard is not None:
            guard.before()
        reply = command.handler(ctx, args)
        if guard is not None:
            guard.after()
        for writer in self.event_writers:
            writer(tx, ctx.events)
        return reply, ctx.events, records

    def _failure(self, command: Command[Any]) -> Reply:
        """An unexpected error: logged with a reference the user can quote; never a traceback."""
        import uuid  # only on failure: not every command's start-up

        ref = uuid.uuid4().hex[:8]
        log.exception("command %s failed (ref %s)", command.key, ref)
        return Reply.error(f"Something went wrong on our side; nothing was saved (ref {ref}).")

    async def _tell(self, reply: Reply) -> None:
        """Each notice through its person's platform; one that cannot be sent is logged (the
        record is already committed: telling is best effort)."""
        for notice in reply.notices:
            platform, _, rest = person_key(notice.to).partition(":")
            workspace, _, user_id = rest.partition(":")
            messenger = self.messengers.get(platform)
            if messenger is None or not user_id:
                log.info("no way to tell a %s user directly: notice dropped", platform or "?")
                continue
            try:
                await messenger.tell(workspace, user_id, notice.reply)
            except Exception:
                log.exception("could not tell a %s user directly", platform)

    async def _notify(self, events: list[DomainEvent]) -> None:
        for listener in self.commit_listeners:
            try:
                result = listener(events)
                if result is not None:
                    await result
            except Exception:
                log.exception("commit listener failed")


def _tracker_id(repo: Records, reply: Reply) -> int | None:
    """The tracker a cached read answered about (its reply's data names it by slug)."""
    slug = reply.data.get("tracker")
    tracker = repo.tracker_by_slug(slug) if isinstance(slug, str) else None
    return tracker.id if tracker else None


def _may_write(repo: Records, actor: Actor) -> bool:
    return actor.platform_moderator or repo.is_moderator(
        actor.platform, actor.workspace, actor.user_id
    )


def _not_in_direct(command: Command[Any]) -> str:
    """Why a direct message cannot run it, in the command's own terms (a suggestion changes
    no record: it goes to a community's moderators)."""
    if command.proposes:
        return (
            f"/tally {command.name} goes to a community's moderators: run it in one of the "
            "community's channels, not in a direct message."
        )
    return (
        f"/tally {command.name} {command.why_moderators}: run it in a channel, not in a "
        "direct message (direct messages only read)."
    )
