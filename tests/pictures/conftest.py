"""Reading pictures back: PNG bytes to an RGB pixel array, colours as hex."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from bot.app import Core
from bot.settings import Settings
from tallybot.cli import main
from tallybot.wiring import open_core
from tests.conftest import OPERATOR, Clock, open_demo_core

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pixels(png: bytes) -> np.ndarray:
    """Rows x columns x RGB, 0-255."""
    assert png.startswith(PNG_SIGNATURE)
    array = image.imread(io.BytesIO(png), format="png")
    return np.rint(array[:, :, :3] * 255).astype(int)


def hex_at(picture: np.ndarray, x: int, y: int) -> str:
    r, g, b = picture[y, x]
    return f"#{r:02X}{g:02X}{b:02X}"


def is_white(picture: np.ndarray, x: int, y: int) -> bool:
    return bool((picture[y, x] >= 250).all())


@pytest.fixture
async def demo(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    core = await open_demo_core(Settings(db_path=db_path), clock)
    yield core
    core.close()


def big_body_csv(path: Path, count: int) -> Path:
    """`count` members with two-letter codes AA, AB, ... and a population each."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = [a + b for a in letters for b in letters][:count]
    lines = ["code,name,joined,left,population"]
    lines += [
        f"{code},Member state {number:03d},2000-01-01,,{1_000_000 + number * 7919}"
        for number, code in enumerate(codes, start=1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
async def big(
    db_path: Path, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Core]:
    """A 200-member body imported with `tallybot body import`, a majority tracker on it, every
    third member opposing and the rest mostly supporting."""
    monkeypatch.setenv("TALLYBOT_DB", str(db_path))
    csv_file = big_body_csv(tmp_path / "big.csv", 200)
    assert main(["body", "import", str(csv_file), "--slug", "big", "--name", "Big Assembly"]) == 0
    core = open_core(Settings(db_path=db_path), clock)
    body = await core.store.run(lambda tx: tx.records.body("big"))
    codes = [m.code for m in body.members]
    commands = [
        'tracker new big-q "A question for two hundred" kind=selection rule=majority body=big '
        'candidates="Alice Example,Bob Example" opened=2025-01-01',
        f"declare {','.join(codes[0::3])} oppose alice date=2025-02-01",
        f"declare {','.join(codes[1::3])} support alice date=2025-03-01",
        f"declare {','.join(codes[2::6])} support bob date=2025-04-01",
    ]
    for text in commands:
        reply = await core.dispatcher.run_text(text, OPERATOR)
        assert reply.ok, reply.title
    yield core
    core.close()
