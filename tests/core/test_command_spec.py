"""Each command's Params and its typed arguments class agree, and values arrive typed."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from bot.commands.catalog import COMMANDS
from bot.commands.converters import convert_args
from bot.commands.recording import DECLARE, DeclareArgs
from bot.commands.spec import Command
from bot.domain import Confidence, Stance
from bot.errors import UserError


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.key)
def test_every_param_fills_a_field_and_every_needed_field_has_a_required_param(
    command: Command[Any],
) -> None:
    fields = {f.name: f for f in dataclasses.fields(command.args)}
    attrs = [p.attr for p in command.params]
    assert len(set(attrs)) == len(attrs)
    assert set(attrs) == set(fields)
    required = {p.attr for p in command.params if p.required}
    needed = {
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert needed == required


def test_declare_arguments_arrive_typed() -> None:
    raw = {"member": "HU", "stance": "no", "date": "2024-04-02", "confidence": "official"}
    args = convert_args(DECLARE, raw, date(2026, 11, 25))
    assert args == DeclareArgs(
        member="HU", stance=Stance.OPPOSE, made_on=date(2024, 4, 2), confidence=Confidence.OFFICIAL
    )
    assert type(args.stance) is Stance and type(args.confidence) is Confidence


def test_an_unknown_option_is_named_before_any_arguments_are_built() -> None:
    with pytest.raises(UserError, match="Unknown option 'made_on' for /tally declare"):
        convert_args(
            DECLARE, {"member": "HU", "stance": "support", "made_on": "2024-04-02"}, date.today()
        )
