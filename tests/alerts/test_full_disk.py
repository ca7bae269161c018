"""A disk that fills during delivery: the platform accepted the alert, the "mark sent" write
fails. The alert must not go out again; only the marking is retried, until it is written.

The real `tallybot dispatch` process posts to the fake Slack. Its file-size limit
(RLIMIT_FSIZE, set on that process alone as its post arrives, at the WAL's size then: the
channel's lease is claimed, nothing is marked yet) makes the kernel refuse its next write to
the database's WAL file, as a full disk would: SQLite reports it as "disk I/O
error" (EFBIG; a full disk's ENOSPC reads "database or disk is full"), and the write
transaction that marks the row sent fails. Raising the limit again (prlimit on the running
process) frees the space. Nothing is mocked: the failure comes from the operating system.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import resource
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.app import Core
from store.thread import as_sqlite
from tests.alerts.conftest import LITHUANIA, Run, slack_mod, until
from tests.conftest import collect, isolated_env, spawn_tallybot
from tests.fakes.slack_api import DEFAULT_TOKEN, FakeSlackApi

pytestmark = [
    pytest.mark.skipif(
        not hasattr(resource, "prlimit") or sys.platform != "linux",
        reason="needs prlimit (Linux) to free the 'disk' of a running process",
    ),
    pytest.mark.sqlite_only,  # the SQLite WAL file meets a full disk
]

MARKING_FAILURES = 2
MARKING_FAILED = re.compile(r"could not be marked sent: (disk I/O error|database or disk is full)")
"""Failed marking attempts to see before the space is freed."""


def _env(db: Path, fake_slack: FakeSlackApi) -> dict[str, str]:
    return isolated_env(
        db,
        TALLYBOT_LOG_LEVEL="WARNING",
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        DISCORD_TOKEN="",
    )


async def test_accepted_alert_is_not_resent_while_its_marking_fails(
    demo: Core, run_as: Run, db_path: Path, fake_slack: FakeSlackApi
) -> None:
    await run_as("/tally subscribe nato-sg-2024", slack_mod("C0FULL"))
    await run_as(LITHUANIA)
    [row] = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert row["status"] == "pending"
    process = await spawn_tallybot(
        _env(db_path, fake_slack),
        "dispatch",
        "--interval",
        "0.2",  # the safety net fires often: it must not resend either
    )
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    wal = Path(f"{db_path}-wal")

    def disk_full(channel: str) -> None:
        """The WAL may not grow past its size now: the marking's frame cannot be written
        (SIGXFSZ is ignored by Python, so the write fails with EFBIG)."""
        fake_slack.before_post = None
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (wal.stat().st_size, hard))

    fake_slack.before_post = disk_full
    stderr = bytearray()
    reader = asyncio.create_task(collect(process.stderr, stderr))
    try:
        await until(
            lambda: (
                len(MARKING_FAILED.findall(stderr.decode())) >= MARKING_FAILURES
                or len(fake_slack.messages_in("C0FULL")) > 1
            )
        )
        assert len(fake_slack.messages_in("C0FULL")) == 1, "sent again before it was marked"
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            status = conn.execute("SELECT status FROM alert_outbox").fetchone()[0]
        assert status == "pending"

        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (hard, hard))  # space again

        def marked() -> bool:
            with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as c:
                return c.execute("SELECT status FROM alert_outbox").fetchone()[0] == "sent"

        await until(marked)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        status_code = await process.wait()
        await reader
    assert status_code == 0, stderr.decode()
    [message] = fake_slack.messages_in("C0FULL")
    [row] = await demo.store.run(lambda tx: as_sqlite(tx).alerts.outbox())
    assert (row["status"], row["message_id"]) == ("sent", message.ts)
    assert "Traceback" not in stderr.decode()
