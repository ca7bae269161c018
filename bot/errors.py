"""Errors a user can cause. Every adapter turns them into a clear reply, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class UserError(Exception):
    """Bad input: the message is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UserError):
    """A named thing (member, tracker, declaration, candidate) does not exist."""


class PermissionDenied(UserError):
    """The user may not run this command."""


class DatabaseUnusable(UserError):
    """The database file cannot be opened as one (a text file, a directory, no write access)."""

    def __init__(self, path: Path, exc: BaseException) -> None:
        fix = "point TALLYBOT_DB (or --db) at a tallybot database, or at a new file to create one"
        if path.is_dir():
            problem = "is a directory"
            fix = f"point TALLYBOT_DB (or --db) at a file inside it, such as {path / 'tallybot.db'}"
        elif blocker := next((p for p in path.parents if p.exists() and not p.is_dir()), None):
            problem = f"can't be created: {blocker} is a file, not a folder"
            fix = "point TALLYBOT_DB (or --db) at a path whose folders are folders"
        elif not path.parent.is_dir():
            problem = f"can't be created: the folder {path.parent} does not exist"
            fix = "create it first, or point TALLYBOT_DB (or --db) at an existing folder"
        elif isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            problem = "is not an SQLite database"
        elif isinstance(exc, sqlite3.DatabaseError) and "readonly" in str(exc):
            problem = "is read-only"
            fix = "give this user write access to it and its folder"
        else:
            problem = f"can't be opened or created ({_reason(exc)})"
            fix = "check that its folder exists and that this user may write there"
        super().__init__(f"The database {path} {problem}: {fix}.")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


class DatabaseUnreachable(UserError):
    """A PostgreSQL server that cannot be used: not answering, refusing us, no such schema."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            f"The database {where} can't be used ({reason.strip().rstrip('.')}): check that "
            "the server is running and that TALLYBOT_DB (or --db) names it, its database and "
            "its schema."
        )


class Busy(UserError):
    """Another process held the record's write lock for longer than we wait for it."""


class ServiceFailed(Exception):
    """A platform refused the bot for good (a rejected token, a gateway that will not take it):
    `tallybot run` stops and prints this one sentence, exit status 1, no traceback."""
