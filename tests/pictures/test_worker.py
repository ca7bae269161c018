"""Where pictures are drawn: in the picture process, not the bot's; a failure there is one
failed reply with a reference, and a dead picture process is started again."""

from __future__ import annotations

import os

import pytest

from bot.app import Core
from bot.pictures import worker
from bot.pictures.renderer import Renderer, RendererFailed
from tests.conftest import OPERATOR


def pid_bytes() -> bytes:
    return str(os.getpid()).encode()


def fails() -> bytes:
    raise ValueError("no picture today")


def sleeps() -> bytes:
    import time

    time.sleep(30)
    return b""


def test_a_picture_that_hangs_is_stopped_and_the_next_one_drawn() -> None:
    renderer = Renderer(timeout=1.0)
    try:
        with pytest.raises(RendererFailed, match="no picture within 1 s"):
            renderer.call(sleeps)
        assert int(renderer.call(pid_bytes)) != os.getpid()
    finally:
        renderer.close()


def test_pictures_are_drawn_in_another_process() -> None:
    assert int(worker.render(pid_bytes)) != os.getpid()


def test_a_failure_in_the_picture_process_is_reported_and_it_carries_on() -> None:
    renderer = Renderer()
    try:
        with pytest.raises(RendererFailed, match="no picture today"):
            renderer.call(fails)
        first = int(renderer.call(pid_bytes))
        assert renderer._process is not None
        renderer._process.kill()
        renderer._process.wait()
        second = int(renderer.call(pid_bytes))  # started again
        assert second != first
    finally:
        renderer.close()


async def test_a_chart_that_cannot_be_drawn_is_a_sentence(
    demo: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.pictures.card.render_card", fails)
    reply = await demo.dispatcher.run_text("chart", OPERATOR)
    assert not reply.ok
    assert reply.title.startswith("⚠️ Something went wrong on our side; nothing was saved (ref ")


def test_starting_the_bot_does_not_import_matplotlib() -> None:
    """`tallybot exec` pays for matplotlib only when it draws."""
    import subprocess
    import sys

    code = (
        "import sys, tallybot.cli, bot.app, bot.commands.catalog, bot.alerts.delivery;"
        "print('matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
