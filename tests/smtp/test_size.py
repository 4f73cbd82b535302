"""Message size limits: SIZE at MAIL (RFC 1870) and oversized DATA with bounded memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.models import AuditEntry
from tests.harness import RunningAppliance, running_appliance
from tests.smtp.helpers import LOCAL, RawClient, inbox, raw_client

LIMIT = 64 * 1024
TOO_BIG = b"552 5.3.4 Message size exceeds fixed maximum message size"


@pytest.fixture
def small_appliance(tmp_path: Path) -> Iterator[RunningAppliance]:
    """An appliance whose size limit is 64 KiB."""
    with running_appliance(tmp_path / "data", max_message_size=LIMIT) as running:
        yield running


def size_refusals(appliance: RunningAppliance) -> list[tuple[str, str, str, str]]:
    async def read() -> list[tuple[str, str, str, str]]:
        async with appliance.core.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry).where(AuditEntry.event == "refused").order_by(AuditEntry.id)
            )
            return [(row.service, row.outcome, row.client, row.detail) for row in rows]

    return appliance.call(read)


def start_data(client: RawClient) -> None:
    assert client.command(b"EHLO client.example").startswith(b"250-")
    assert client.command(b"MAIL FROM:<a@example.org>") == b"250 2.1.0 Sender OK"
    assert client.command(b"RCPT TO:<" + LOCAL.encode() + b">") == b"250 2.1.5 Recipient OK"
    assert client.command(b"DATA").startswith(b"354 ")


def test_size_parameter_over_limit(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        client.command(b"EHLO client.example")
        over = client.command(b"MAIL FROM:<a@example.org> SIZE=52428801")
        at_limit = client.command(b"MAIL FROM:<a@example.org> SIZE=52428800")
    assert over == TOO_BIG
    assert at_limit == b"250 2.1.0 Sender OK"
    assert size_refusals(appliance) == [("smtp", "message_size", "127.0.0.1", "MAIL size=52428801")]


def test_data_over_limit_is_rejected(small_appliance: RunningAppliance) -> None:
    account = small_appliance.add_account(LOCAL)
    with raw_client(small_appliance) as client:
        start_data(client)
        big = b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * (2 * LIMIT // 78)
        client.send(big)
        client.send(b".\r\n")
        rejected = client.reply()
        # The session is still in step: the next message goes through.
        start_data(client)
        accepted = client.command(b"Subject: small\r\n\r\nfits\r\n.")
    assert rejected == TOO_BIG
    assert accepted.startswith(b"250 2.0.0 Ok: queued as ")
    [stored] = inbox(small_appliance, account)
    assert stored.endswith(b"\r\nSubject: small\r\n\r\nfits\r\n")
    assert size_refusals(small_appliance) == [
        ("smtp", "message_size", "127.0.0.1", f"DATA size={len(big)}")
    ]


def test_data_just_under_limit_is_accepted(small_appliance: RunningAppliance) -> None:
    account = small_appliance.add_account(LOCAL)
    # Room for the Received header, which counts towards the stored size.
    body = b"Subject: fits\r\n\r\n" + (b"y" * 98 + b"\r\n") * ((LIMIT - 1024) // 100)
    with raw_client(small_appliance) as client:
        start_data(client)
        reply = client.command(body + b".")
    assert reply.startswith(b"250 2.0.0 Ok: queued as ")
    [stored] = inbox(small_appliance, account)
    assert stored.endswith(body)


@pytest.mark.parametrize("shape", ["short lines", "one long line"])
def test_oversized_data_memory_is_bounded(small_appliance: RunningAppliance, shape: str) -> None:
    """Sending 8 MiB against a 64 KiB limit costs the server a bounded amount of memory.

    The peak (about 1.1 MiB measured) is the limit plus asyncio's stream buffers: it reads
    up to 256 KiB per receive and buffers up to twice the stream limit of 64 KiB.
    """
    small_appliance.add_account(LOCAL)
    chunk = (b"z" * 98 + b"\r\n") * 655 if shape == "short lines" else b"z" * 65500
    with raw_client(small_appliance) as client:
        start_data(client)
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            for _ in range(128):
                client.send(chunk)
            reply = client.command(b"\r\n.")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert reply == TOO_BIG
    assert peak - baseline < 2 * 1024 * 1024
