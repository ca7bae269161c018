"""The console's way of posting a reply's files: save them and say where."""

from __future__ import annotations

import os
from pathlib import Path

from bot.replies import Reply


def save_attachments(reply: Reply, directory: Path) -> list[Path]:
    """Each attachment written under `directory`, never over an existing file (name-1.csv...)."""
    saved = []
    for attachment in reply.attachments:
        path = directory / Path(attachment.filename).name
        stem, suffix = path.stem, path.suffix
        number = 0
        while True:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                break
            except FileExistsError:
                number += 1
                path = directory / f"{stem}-{number}{suffix}"
        with os.fdopen(fd, "wb") as out:
            out.write(attachment.content)
        saved.append(path)
    return saved


def saved_lines(paths: list[Path]) -> str:
    return "\n".join(f"  File saved: {path}" for path in paths)
