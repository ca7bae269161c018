"""The values of a JSON export checked as the commands that record them would check them.

A hand-edited export must not slip past what `tracker new`, `declare`, `amend` and `tracker
close` refuse: each value goes through the same converters and lifespan checks, and a refusal
names the field it is about (`declarations[3].made_on: ...`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any

from bot.commands.converters import convert
from bot.commands.lifespan import check_opened
from bot.commands.params import PROVENANCE
from bot.commands.spec import Param
from bot.commands.trackers import NEW_TRACKER
from bot.errors import UserError

_PROVENANCE = {p.name: p for p in PROVENANCE if p.name != "confidence"}  # checked on parsing
_TITLE = next(p for p in NEW_TRACKER.params if p.name == "title")


def check_record_values(record: Mapping[str, Any], today: date) -> None:
    """Refuse the first value a command would refuse, naming where it is."""
    tracker = record["tracker"]
    _at("tracker.title", lambda: _text(_TITLE, tracker["title"], today))
    opened = _at("tracker.opened", lambda: date.fromisoformat(tracker["opened"]))
    _at("tracker.opened", lambda: check_opened(opened, today))
    _at("tracker.created_at", lambda: _aware(tracker["created_at"]))
    closed = tracker.get("closed_on")
    closed_on = _at("tracker.closed_on", lambda: _day(closed, opened, today)) if closed else None
    for index, row in enumerate(record["declarations"]):
        where = f"declarations[{index}]"
        made_on = _at(
            f"{where}.made_on",
            partial(_field, row, "made_on", partial(_day, opened=opened, today=today)),
        )
        if closed_on is not None and made_on > closed_on:
            raise UserError(
                f"{where}.made_on: {made_on} is after the tracker closed on {closed_on} "
                "(tracker.closed_on)."
            )
        _at(f"{where}.recorded_at", partial(_field, row, "recorded_at", _aware))
        _provenance(row, where, today)
        retraction = row.get("retraction")
        if retraction:
            _at(
                f"{where}.retraction.recorded_at",
                partial(_field, retraction, "recorded_at", _aware),
            )
        for number, amendment in enumerate(row.get("amendments") or []):
            place = f"{where}.amendments[{number}]"
            _at(f"{place}.recorded_at", partial(_field, amendment, "recorded_at", _aware))
            _provenance(amendment["changes"], f"{place}.changes", today)
    for index, event in enumerate(record["events"]):
        _at(f"events[{index}].made_on", partial(_field, event, "made_on", date.fromisoformat))
        _at(f"events[{index}].recorded_at", partial(_field, event, "recorded_at", _aware))


def _provenance(values: Mapping[str, Any], where: str, today: date) -> None:
    for name, param in _PROVENANCE.items():
        value = values.get(name)
        if value not in (None, ""):
            _at(f"{where}.{name}", partial(_text, param, value, today))


def _text(param: Param, value: Any, today: date) -> Any:
    if not isinstance(value, str):
        raise UserError(f"{param.name} must be text.")
    return convert(param, value, today)


def _day(text: Any, opened: date, today: date) -> date:
    """A date in the tracker's life: from its opening up to today."""
    day = date.fromisoformat(str(text))
    if day > today:
        raise UserError(f"{day} is in the future (today is {today}).")
    if day < opened:
        raise UserError(f"{day} is before the tracker opened on {opened} (tracker.opened).")
    return day


def _aware(text: Any) -> datetime:
    """A timestamp as the store writes it: ISO 8601 with its time zone."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise UserError(
            f"'{text}' is not an ISO timestamp (e.g. 2024-04-02T09:30:00+00:00)."
        ) from None
    if moment.tzinfo is None:
        raise UserError(f"'{text}' has no time zone: add one, e.g. +00:00.")
    return moment


def _field(row: Mapping[str, Any], key: str, read: Callable[[Any], Any]) -> Any:
    """`read(row[key])`: a missing key is reported as missing by `_at`."""
    return read(row[key])


def _at(where: str, check: Callable[[], Any]) -> Any:
    """Run one check; a refusal names the field it is about."""
    try:
        return check()
    except UserError as exc:
        raise UserError(f"{where}: {exc.message}") from None
    except KeyError:
        raise UserError(f"{where}: missing.") from None
    except (ValueError, TypeError):
        raise UserError(f"{where}: not a valid value.") from None
