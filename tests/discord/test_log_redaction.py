"""No interaction token or webhook URL reaches the logs, at DEBUG, discord.py's included."""

from __future__ import annotations

import logging

import pytest

from tallybot.logs import install_redaction
from tests.discord.conftest import Bot
from tests.discord.payloads import interaction, option


async def test_interaction_tokens_never_reach_the_logs(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    install_redaction()
    payloads = [
        interaction(("tally",)),
        interaction(("holdouts",), [option("public", True)]),
        interaction(("tally",), [option("as_of", "April 2nd")]),
    ]
    for payload in payloads:
        await bot.run(payload)
    assert len(bot.fake.callbacks) >= len(payloads)

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("discord") for r in caplog.records)  # DEBUG was captured
    for payload in payloads:
        assert payload["token"] not in logged
    assert "/interactions/" in logged and "[redacted]" in logged  # logged, token redacted
