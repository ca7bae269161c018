"""Errors a user can cause. Every adapter turns them into a clear reply, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: the message is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UserError):
    """A named thing (member, tracker, declaration, candidate) does not exist."""


class PermissionDenied(UserError):
    """The user may not run this command."""


class Busy(UserError):
    """Another process held the record's write lock for longer than we wait for it."""
