"""The launcher's log set-up redacts capabilities on every root handler, whoever logs them."""

from __future__ import annotations

import io
import logging

import pytest

from tallybot.logs import configure_logging, redact

CAPABILITIES = [
    "https://hooks.slack.com/commands/T0001/1234567890/AbCdEfGhIjKlMnOp",
    "https://hooks.slack.com/actions/T0001/1234567890/QrStUvWxYz",
    "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXX",
    "https://discord.com/api/v10/webhooks/1100000000000000001/aW50ZXJhY3Rpb246MTIzNDU2/messages/@original",
    "https://discord.com/api/v10/interactions/900000000000000001/aW50ZXJhY3Rpb246OTk5/callback",
]


@pytest.mark.parametrize("url", CAPABILITIES)
def test_each_capability_is_redacted_wherever_it_appears(url: str) -> None:
    secret = url.split("/")[-1] if "slack.com" in url else url.split("/")[7]
    for text in (
        f"POST {url} with None has returned 204",
        f"{{'response_url': '{url}', 'token': 'aW50ZXJhY3Rpb246MTIzNDU2'}}",
        "response_url=" + url.replace(":", "%3A").replace("/", "%2F") + "&trigger_id=1",
    ):
        cleaned = redact(text)
        assert secret not in cleaned and "aW50ZXJhY3Rpb246MTIzNDU2" not in cleaned
        assert "[redacted]" in cleaned


def test_configure_logging_filters_library_records_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        configure_logging("DEBUG")
        logging.getLogger("discord.http").debug("PATCH %s", CAPABILITIES[3])
        try:
            raise RuntimeError(f"could not post to {CAPABILITIES[0]}")
        except RuntimeError:
            logging.getLogger("aiohttp.client").exception("failed")
    finally:
        root.removeHandler(handler)
    written = stream.getvalue()
    assert "aW50ZXJhY3Rpb246MTIzNDU2" not in written and "AbCdEfGhIjKlMnOp" not in written
    assert written.count("[redacted]") == 2
    assert "RuntimeError" in written  # the traceback is kept, only the capability goes
