"""Running a command: parse or convert, check rights, run the handler in one transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.commands.context import Actor, Context
from bot.commands.converters import convert_args
from bot.commands.parser import Invocation, parse
from bot.commands.spec import Command
from bot.errors import PermissionDenied, UserError
from bot.events import DomainEvent
from bot.pictures.worker import draw_attachments
from bot.replies import Reply

if TYPE_CHECKING:
    from store.repository import Repository

log = logging.getLogger(__name__)
T = TypeVar("T")

EventWriter = Callable[["Repository", list[DomainEvent]], None]
"""Runs inside the command's transaction (alerts write their outbox rows here)."""
CommitListener = Callable[[list[DomainEvent]], Awaitable[None] | None]
"""Runs after the commit (alerts wake the scheduler here)."""


class StoreLike(Protocol):
    async def run(self, work: Callable[[Repository], T], *, write: bool = True) -> T:
        """`work` in one transaction; `write=False` only for work that never writes."""
        ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        store: StoreLike,
        commands: Sequence[Command],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.commands = tuple(commands)
        self.clock = clock
        self.event_writers: list[EventWriter] = []
        self.commit_listeners: list[CommitListener] = []
        self.public_url: str | None = None
        """Where public tracker pages live (TALLYBOT_PUBLIC_URL), for "View online" links."""

    def command(self, key: str) -> Command:
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
        if invocation.near and not await self._is_tracker(invocation.args.get("tracker")):
            word = invocation.args.get("tracker")
            return Reply.error(
                f"No command or tracker '{word}'. Did you mean /tally {invocation.near}?"
            )
        return await self.run(invocation.command, invocation.args, actor)

    async def _is_tracker(self, slug: str | None) -> bool:
        """`/tally histroy`: only a typo of a command if no tracker has that name."""
        if not slug:
            return False
        try:
            return await self.store.run(lambda repo: repo.tracker_exists(slug.strip().lower()))
        except Exception:
            log.exception("tracker look-up failed")
            return True

    async def run(self, command: Command, raw: Mapping[str, object], actor: Actor) -> Reply:
        now = self.clock()
        try:
            args = convert_args(command, raw, now.date())
        except UserError as exc:
            return Reply.error(exc.message)
        except Exception:
            return self._failure(command)

        def work(repo: Repository) -> tuple[Reply, list[DomainEvent]]:
            ctx = Context(repo, actor, now, public_url=self.public_url)
            if command.moderator_only and not _may_write(repo, actor):
                if command.channel_managers and not actor.channel_manager:
                    raise PermissionDenied(
                        "Only moderators or people who manage this channel can run "
                        f"/tally {command.name}."
                    )
                if not command.channel_managers:
                    raise PermissionDenied(
                        "Only moderators can do that: "
                        f"/tally {command.name} changes the record. Ask a moderator, "
                        "or an admin to add you with /tally moderator add."
                    )
            reply = command.handler(ctx, args)
            for writer in self.event_writers:
                writer(repo, ctx.events)
            return reply, ctx.events

        try:
            # Only moderators' commands change the record: they take the write lock up front and
            # wait their turn; everyone else's are reads that never wait for a writer.
            reply, events = await self.store.run(work, write=command.moderator_only)
        except UserError as exc:
            return Reply.error(exc.message)
        except Exception:
            return self._failure(command)
        if events:
            await self._notify(events)
        if reply.drawings:
            try:
                reply = await draw_attachments(reply)
            except Exception:
                return self._failure(command)
        return reply

    def _failure(self, command: Command) -> Reply:
        """An unexpected error: logged with a reference the user can quote; never a traceback."""
        ref = uuid.uuid4().hex[:8]
        log.exception("command %s failed (ref %s)", command.key, ref)
        return Reply.error(f"Something went wrong on our side; nothing was saved (ref {ref}).")

    async def _notify(self, events: list[DomainEvent]) -> None:
        for listener in self.commit_listeners:
            try:
                result = listener(events)
                if result is not None:
                    await result
            except Exception:
                log.exception("commit listener failed")


def _may_write(repo: Repository, actor: Actor) -> bool:
    return actor.platform_moderator or repo.is_moderator(
        actor.platform, actor.workspace, actor.user_id
    )
