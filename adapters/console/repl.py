"""Interactive console: readline history and tab completion of commands, members, trackers."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from adapters.console.files import save_attachments, saved_lines
from adapters.console.render import render_text
from adapters.console.review import review_prompts
from adapters.console.sender import ConsoleSender
from bot.app import Core
from bot.commands.context import Actor
from bot.completion import command_words, record_words
from bot.errors import UserError
from bot.tenancy import records_for

HISTORY_FILE = Path.home() / ".tallybot_history"
PROMPT = "tally> "


def operator_actor(user: str | None = None) -> Actor:
    """The local operator administers the console; `--as USER` runs as an ordinary user.

    A blank `--as ""` is refused, never read as 'no --as': it must not grant the operator's
    rights to a script that meant to act as somebody in particular."""
    if user is not None:
        name = user.strip()
        if not name:
            raise UserError("--as needs a user name, e.g. --as alice.")
        return Actor("console", "local", name, name, platform_moderator=False, channel="console")
    name = _login_name()
    return Actor("console", "local", name, name, platform_moderator=True, channel="console")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "operator"


class Completer:
    """Completes the command words, then member codes/names, stances and tracker slugs."""

    def __init__(self, words: Callable[[], list[str]]) -> None:
        self._words = words
        self._matches: list[str] = []

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            lowered = text.lower()
            self._matches = sorted({w for w in self._words() if w.lower().startswith(lowered)})
        return self._matches[state] if state < len(self._matches) else None


def completion_words(core: Core) -> list[str]:
    """Every word tab offers: the spec's and the record's, as bot/completion.py lists them."""
    actor, now = operator_actor(), datetime.now(UTC)
    shared = core.dispatcher.shared_community
    found = core.store.run_blocking(
        lambda tx: record_words(records_for(tx.records, actor, now, shared)), write=False
    )
    return sorted(command_words(core.dispatcher.commands) | set(found))


async def run_console(core: Core, actor: Actor) -> None:
    loop = asyncio.get_running_loop()
    readline = _setup_readline(core)
    core.dispatcher.messengers.setdefault("console", ConsoleSender())

    async def ask(prompt: str) -> str:
        try:
            return str(await loop.run_in_executor(None, input, prompt))
        except (EOFError, KeyboardInterrupt):
            return ""

    print("tallybot console. Type /tally help, or /tally to see where things stand. Ctrl-D quits.")
    while True:
        try:
            line = await loop.run_in_executor(None, input, PROMPT)
        except (EOFError, KeyboardInterrupt):
            print()
            break
        line = line.strip()
        if not line:
            continue
        if line in ("quit", "exit"):
            break
        reply = await core.dispatcher.run_text(line, actor)
        print(render_text(reply))
        if reply.attachments:
            print(saved_lines(save_attachments(reply, Path.cwd())))
        if reply.items:
            await review_prompts(core, actor, reply, ask)
    await core.dispatcher.settle()  # a suggester's notice printed before the console ends
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.write_history_file(HISTORY_FILE)


def _setup_readline(core: Core) -> ModuleType | None:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY_FILE)
    completer = Completer(lambda: completion_words(core))
    readline.set_completer(completer.complete)
    readline.set_completer_delims(" \t=")
    readline.parse_and_bind("tab: complete")
    return readline
