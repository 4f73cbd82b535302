"""Concurrent IMAP logins to one account take turns through the login throttle."""

from __future__ import annotations

import imaplib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from appliance.models import AuditEntry
from tests.harness import RunningAppliance

ADDRESS = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Secret-Pass-2026!"  # imaplib sends LOGIN arguments as ASCII
WRONG = "Sai-mat-khau-1"
REFUSED = b"[AUTHENTICATIONFAILED] Invalid user name or password"


def login(appliance: RunningAppliance, password: str, ready: threading.Barrier | None) -> bytes:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls(), timeout=60
    )
    try:
        if ready is not None:
            ready.wait(timeout=30)
        try:
            client.login(ADDRESS, password)
        except imaplib.IMAP4.error as error:
            return bytes(error.args[0]) if isinstance(error.args[0], bytes) else b"?"
        return b"OK"
    finally:
        client.shutdown()


def login_outcomes(appliance: RunningAppliance) -> list[str]:
    async def query() -> list[str]:
        async with appliance.core.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry.outcome)
                .where(AuditEntry.account == ADDRESS)
                .order_by(AuditEntry.id)
            )
            return list(rows)

    return appliance.call(query)


@pytest.mark.timeout(120)
def test_parallel_logins_checked_ten_times(appliance: RunningAppliance) -> None:
    appliance.add_account(ADDRESS, PASSWORD)
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    # The growing pauses (up to 30 s each) are recorded, not waited for.
    appliance.core.auth.sleep = record
    ready = threading.Barrier(29)
    with ThreadPoolExecutor(29) as pool:
        replies = list(pool.map(lambda _: login(appliance, WRONG, ready), range(29)))

    assert replies == [REFUSED] * 29
    assert login_outcomes(appliance) == ["failed"] * 10 + ["held"] * 20
    assert sorted(pauses) == [1.0, 2.0, 4.0, 8.0, 16.0] + [30.0] * 23
    assert login(appliance, PASSWORD, None) == REFUSED
    assert login_outcomes(appliance)[-1] == "held"
