"""The 5 GB quota rule on the SMTP path, with a small quota so the test stays fast."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import RunningAppliance, running_appliance

ADDRESS = "nvan.skhcn@hue.gov.vn"
QUOTA = 20_000


@pytest.fixture
def small(tmp_path: Path) -> Iterator[RunningAppliance]:
    with running_appliance(tmp_path / "data", default_quota=QUOTA) as running:
        yield running


def fill_to(appliance: RunningAppliance, used: int) -> None:
    account = appliance.call(lambda: appliance.core.accounts.get(ADDRESS))
    raw = b"Subject: fill\r\n\r\n" + b"x" * (used - 19) + b"\r\n"
    assert len(raw) == used
    appliance.call(lambda: appliance.core.store.append(account.id, "INBOX", raw))


def send(appliance: RunningAppliance, raw: bytes) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], timeout=30) as client:
        client.starttls(context=appliance.client_tls())
        client.ehlo()
        client.mail("a@example.org")
        code, text = client.rcpt(ADDRESS)
        if code != 250:
            return code, text
        return client.data(raw)


def test_one_kilobyte_under_quota(small: RunningAppliance) -> None:
    small.add_account(ADDRESS)
    fill_to(small, QUOTA - 1024)
    code, text = send(small, b"Subject: big\r\n\r\n" + b"y" * 2000 + b"\r\n")
    assert (code, text) == (552, b"5.2.2 Mailbox full")
    quota = small.call(lambda: small.core.store.quota(1))
    assert quota.used_bytes == QUOTA - 1024


def test_full_mailbox_refused_at_rcpt(small: RunningAppliance) -> None:
    small.add_account(ADDRESS)
    fill_to(small, QUOTA)
    code, text = send(small, b"Subject: small\r\n\r\nhi\r\n")
    assert (code, text) == (452, b"4.2.2 Mailbox full, try again later")
