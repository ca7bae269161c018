"""Dates against a tracker's life: nothing is recorded before it opened, after it closed, or in
the future; each refusal names the date that limits it."""

from __future__ import annotations

from datetime import date

from bot.domain import Tracker, TrackerStatus
from bot.errors import UserError
from bot.members import Body

EARLIEST_OPENING = date(1900, 1, 1)


def check_opened(opened: date, today: date, first_declaration: date | None = None) -> None:
    """An opening date: not in the future, not before 1900, not after a declaration on record."""
    if opened > today:
        raise UserError(f"opened={opened} is in the future: today is {today}.")
    if opened < EARLIEST_OPENING:
        raise UserError(f"opened={opened} is before {EARLIEST_OPENING}: give a real date.")
    if first_declaration is not None and opened > first_declaration:
        raise UserError(
            f"opened={opened} is after the first declaration on record ({first_declaration}): "
            "retract it or open the tracker on or before that date."
        )


def check_has_members(body: Body, opened: date, subject: str | None = None) -> None:
    """An opening date on which the body had members: before its first member joined there is
    no one to count, and every reading would be an empty verdict."""
    if any(m.code != subject for m in body.members_on(opened)):
        return
    joined = [m.joined for m in body.members if m.code != subject]
    if joined and opened < min(joined):
        raise UserError(
            f"opened={opened} is before {body.in_sentence}'s first member joined on {min(joined)}: "
            f"open the tracker on or after {min(joined)}."
        )
    raise UserError(f"{body.name} had no members on {opened}: open the tracker on another date.")


def check_within(tracker: Tracker, on: date, today: date, what: str = "date") -> None:
    """A date inside the tracker's life: from its opening, up to today and its close."""
    if on > today:
        raise UserError(f"{what}={on} is in the future (today is {today}); record what happened.")
    if on < tracker.opened:
        raise UserError(f"{what}={on} is before {tracker.slug} opened on {tracker.opened}.")
    if tracker.status is not TrackerStatus.OPEN and tracker.closed_on and on > tracker.closed_on:
        raise UserError(
            f"{what}={on} is after {tracker.slug} closed on {tracker.closed_on} "
            f"({tracker.status}); only dates up to {tracker.closed_on} can still be recorded."
        )


def check_close(tracker: Tracker, on: date, today: date, last_declaration: date | None) -> None:
    """A close date: not in the future, not before the opening nor the last declaration."""
    if on > today:
        raise UserError(f"date={on} is in the future (today is {today}).")
    if on < tracker.opened:
        raise UserError(f"date={on} is before {tracker.slug} opened on {tracker.opened}.")
    if last_declaration is not None and on < last_declaration:
        raise UserError(
            f"date={on} is before the last declaration on record ({last_declaration}): "
            f"close on or after {last_declaration}."
        )
