"""Delivery load, IMAP readers and command-line runs shared by the backup tests."""

from __future__ import annotations

import email
import imaplib
import os
import smtplib
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import postgres
from tests.harness import RunningAppliance

ACCOUNTS = ["nvan.skhcn@hue.gov.vn", "tthi.stttt@hue.gov.vn", "lhoa.vyda@hue.gov.vn"]
PASSWORD = "Hue-Mail-2026!secure"  # imaplib sends LOGIN arguments as ASCII only


def run_cli(
    data: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `appliance` command line as its own process, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "appliance", "--data", str(data), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def restore_target() -> tuple[dict[str, str], dict[str, str]]:
    """Return (environment, settings overrides) naming an empty database to restore into.

    On SQLite the new data folder brings its own database file; on PostgreSQL every test
    shares one default database, so a restore needs a blank one of its own.
    """
    if not postgres.enabled():
        return {}, {}
    url = postgres.DEFAULT.run(postgres.create_blank_database)
    return {"APPLIANCE_DATABASE_URL": url}, {"database_url": url}


def add_accounts(appliance: RunningAppliance, addresses: list[str] = ACCOUNTS) -> None:
    for address in addresses:
        appliance.add_account(address, PASSWORD)


def make_message(sender: int, number: int) -> tuple[str, bytes]:
    """Return (Message-ID, bytes) of a small message with a body that varies in size."""
    message_id = f"<load-{sender}-{number}@example.org>"
    body = "".join(f"Dòng {line} của thư {number}.\r\n" for line in range(number % 40 + 1))
    raw = (
        f"From: sender{sender}@example.org\r\nTo: {ACCOUNTS[number % len(ACCOUNTS)]}\r\n"
        f"Subject: load {sender}-{number}\r\nMessage-ID: {message_id}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}"
    ).encode()
    return message_id, raw


@dataclass
class DeliveryLoad:
    """Threads that send messages over SMTP and record when each was acknowledged."""

    appliance: RunningAppliance
    senders: int = 2
    per_sender: int = 150
    acknowledged: dict[str, float] = field(default_factory=dict)  # Message-ID -> monotonic
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for sender in range(self.senders):
            thread = threading.Thread(target=self._send, args=(sender,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _send(self, sender: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", self.appliance.ports["smtp"], timeout=60) as client:
                for number in range(self.per_sender):
                    message_id, raw = make_message(sender, number)
                    recipient = ACCOUNTS[number % len(ACCOUNTS)]
                    client.sendmail(f"sender{sender}@example.org", [recipient], raw)
                    with self._lock:
                        self.acknowledged[message_id] = time.monotonic()
        except Exception as error:  # reported by the test through `errors`
            self.errors.append(repr(error))

    def wait_for(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            if self.errors:
                raise AssertionError(f"delivery failed: {self.errors}")
            time.sleep(0.01)
        assert len(self.acknowledged) >= count, f"only {len(self.acknowledged)} acknowledged"

    def join(self) -> None:
        for thread in self._threads:
            thread.join(300)
        assert not self.errors, self.errors

    def acknowledged_before(self, moment: float) -> set[str]:
        with self._lock:
            return {mid for mid, acked in self.acknowledged.items() if acked < moment}


def fetch_all(appliance: RunningAppliance, address: str) -> dict[str, bytes]:
    """Return every INBOX message of `address` over IMAP, keyed by Message-ID."""
    client = imaplib.IMAP4("127.0.0.1", appliance.ports["imap"], timeout=60)
    try:
        client.starttls(appliance.client_tls())
        client.login(address, PASSWORD)
        client.select("INBOX", readonly=True)
        status, data = client.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert status == "OK"
        messages = {}
        for item in data:
            if isinstance(item, tuple):
                raw = item[1]
                message_id = email.message_from_bytes(raw)["Message-ID"]
                messages[str(message_id)] = raw
        return messages
    finally:
        client.logout()


def stored_by_message_id(appliance: RunningAppliance, address: str) -> dict[str, bytes]:
    """Return the stored bytes of every INBOX message of `address`, keyed by Message-ID."""
    core = appliance.core

    async def read() -> dict[str, bytes]:
        account = await core.accounts.by_id(await account_id(appliance, address))
        folder = await core.store.folder(account.id, "INBOX")
        messages = {}
        for info in await core.store.messages(folder.id):
            raw = await core.store.read(info.blob_key)
            messages[str(email.message_from_bytes(raw)["Message-ID"])] = raw
        return messages

    return appliance.call(read)


async def account_id(appliance: RunningAppliance, address: str) -> int:
    for account in await appliance.core.accounts.list():
        if account.address == address:
            return account.id
    raise AssertionError(f"no account {address}")
