"""`appliance queue` as an operator runs it: a real process on a data folder."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from appliance.config import load_settings
from appliance.core import Core
from appliance.models import OutboundMessage

APPLIANCE = [sys.executable, "-m", "appliance"]
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*APPLIANCE, "--data", str(data), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def fill(data: Path) -> None:
    """Queue two entries due far in the future, and one already sent."""
    core = await Core.open(load_settings(data))
    try:
        core.queue.wake = lambda: None  # no runner here; the entries stay as written
        await core.delivery.deliver(b"Subject: a\r\n\r\nx\r\n", "an@hue.gov.vn", ["x@example.org"])
        await core.delivery.deliver(b"Subject: b\r\n\r\ny\r\n", "an@hue.gov.vn", ["y@example.net"])
        async with core.sessions() as session:
            rows = list(await session.scalars(select(OutboundMessage)))
            for row in rows:
                row.next_attempt_at = LATER
                row.state = "deferred"
                row.last_error = "451 4.7.1 Try again later"
            session.add(
                OutboundMessage(
                    blob_key=rows[0].blob_key,
                    mail_from="an@hue.gov.vn",
                    rcpt_to="z@example.com",
                    created_at=LATER,
                    next_attempt_at=LATER,
                    attempts=1,
                    state="sent",
                    last_error="",
                )
            )
            await session.commit()
    finally:
        await core.close()


async def entries(data: Path) -> list[tuple[int, str, datetime]]:
    core = await Core.open(load_settings(data))
    try:
        async with core.sessions() as session:
            rows = await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
            return [(row.id, row.rcpt_to, row.next_attempt_at) for row in rows]
    finally:
        await core.close()


def test_queue_commands(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert run(data, "init").returncode == 0
    asyncio.run(fill(data))

    listed = run(data, "queue", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == [
        "id",
        "state",
        "tries",
        "next",
        "attempt",
        "(UTC)",
        "sender",
        "->",
        "recipient",
    ]
    assert lines[1].split() == [
        "1",
        "deferred",
        "0",
        "2030-01-01",
        "00:00:00",
        "<an@hue.gov.vn>",
        "->",
        "<x@example.org>",
    ]
    assert lines[2].strip() == "last error: 451 4.7.1 Try again later"
    assert lines[-1] == "2 entries"
    assert run(data, "queue", "list", "--all").stdout.splitlines()[-1] == "3 entries"

    retried = run(data, "queue", "retry", "2")
    assert (retried.returncode, retried.stdout) == (0, "1 entry due now\n")
    after = asyncio.run(entries(data))
    assert after[0][2] == LATER
    assert after[1][2] < datetime.now(UTC) + timedelta(seconds=1)
    assert after[2][2] == LATER  # a sent entry is never made due again

    assert run(data, "queue", "retry-all").stdout == "2 entries due now\n"
    missing = run(data, "queue", "retry", "3")
    assert (missing.returncode, missing.stderr) == (1, "error: no waiting queue entry has id 3\n")

    deleted = run(data, "queue", "delete", "1")
    assert (deleted.returncode, deleted.stdout) == (0, "entry 1 deleted\n")
    assert [entry[1] for entry in asyncio.run(entries(data))] == ["y@example.net", "z@example.com"]
    assert run(data, "queue", "delete", "1").returncode == 1
