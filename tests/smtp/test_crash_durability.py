"""A real `appliance serve` killed with SIGKILL mid-load loses no acknowledged message.

The server runs as a subprocess; eight smtplib clients deliver numbered messages to one
mailbox; when half of them are acknowledged the server is killed, restarted, and the rest
are sent. Afterwards the store is opened directly: every message answered 250 is there
exactly once, no message is there twice, UIDs increase, and the quota usage equals the
sum of the stored sizes.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from appliance.config import load_settings
from appliance.core import Core
from appliance.models import Account

ADDRESS = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Crash-Test-2026!durable"
CLIENTS = 8
PER_CLIENT = 50  # messages per client in each phase: 2 × 8 × 50 = 800 attempted
KILL_AFTER = 200  # acknowledged messages before SIGKILL
LISTENING = re.compile(r"listening service=smtp address=\S+ port=(\d+)")
MESSAGE_ID = re.compile(rb"^Message-ID: <(crash-[0-9-]+)@example\.org>\r$", re.MULTILINE)


def command(data_dir: Path, *args: str, stdin: str = "") -> None:
    subprocess.run(
        [sys.executable, "-m", "appliance", "--data", str(data_dir), *args],
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        env=server_environment(),
        timeout=60,
    )


def server_environment() -> dict[str, str]:
    """Return the environment for the server: every listener on a port the kernel picks."""
    environment = dict(os.environ)
    for name in ("SMTP", "SUBMISSION", "SUBMISSIONS", "IMAP", "IMAPS", "HTTP", "HTTPS", "ADMIN"):
        environment[f"APPLIANCE_{name}_PORT"] = "0"
    environment["APPLIANCE_LISTEN"] = "127.0.0.1"
    environment["APPLIANCE_DNS_LOOKUPS"] = "false"  # no query leaves this host
    return environment


@contextmanager
def server(data_dir: Path, log_file: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Run `appliance serve`; yield the process and its MX port once it listens."""
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "appliance", "--data", str(data_dir), "serve"],
            stdout=log,
            stderr=log,
            env=server_environment(),
        )
    try:
        yield process, wait_for_port(process, log_file)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(30)


def wait_for_port(process: subprocess.Popen[bytes], log_file: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ports = LISTENING.findall(log_file.read_text(errors="replace"))
        if ports:
            return int(ports[-1])
        assert process.poll() is None, log_file.read_text(errors="replace")
        time.sleep(0.05)
    raise AssertionError("the server did not start listening within 30 s")


class Load:
    """Concurrent senders that record which message numbers were answered 250."""

    def __init__(self) -> None:
        self.acknowledged: list[str] = []
        self.errors: list[Exception] = []
        self.lock = threading.Lock()

    def send(self, port: int, names: list[str]) -> None:
        try:
            client = smtplib.SMTP("127.0.0.1", port, local_hostname="load.example", timeout=30)
            for name in names:
                client.sendmail("load@example.org", [ADDRESS], message(name))
                with self.lock:
                    self.acknowledged.append(name)
            client.quit()
        except (smtplib.SMTPException, OSError) as error:
            # Expected only when the server is killed: what was not answered 250 may be lost.
            with self.lock:
                self.errors.append(error)

    def run(self, port: int, phase: int) -> list[threading.Thread]:
        threads = []
        for number in range(CLIENTS):
            names = [f"crash-{phase}-{number}-{index}" for index in range(PER_CLIENT)]
            thread = threading.Thread(target=self.send, args=(port, names))
            thread.start()
            threads.append(thread)
        return threads

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def message(name: str) -> bytes:
    body = f"Message {name} of the crash test.\r\n" * 40
    return (
        f"From: load@example.org\r\nTo: {ADDRESS}\r\nSubject: {name}\r\n"
        f"Message-ID: <{name}@example.org>\r\n\r\n{body}"
    ).encode()


async def read_store(data_dir: Path) -> tuple[list[int], list[bytes], list[int], int, int]:
    """Return UIDs, stored bytes, sizes, used_bytes and message_count of the mailbox."""
    core = await Core.open(load_settings(data_dir, environ={}))
    try:
        async with core.sessions() as session:
            account = await session.scalar(select(Account).where(Account.address == ADDRESS))
        assert account is not None
        folder = await core.store.folder(account.id, "INBOX")
        infos = await core.store.messages(folder.id)
        stored = [await core.store.read(info.blob_key) for info in infos]
        return (
            [info.uid for info in infos],
            stored,
            [info.size for info in infos],
            account.used_bytes,
            account.message_count,
        )
    finally:
        await core.close()


def test_sigkill_loses_no_acknowledged_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    command(data_dir, "init")
    command(data_dir, "account", "add", ADDRESS, stdin=PASSWORD + "\n")
    load = Load()

    with server(data_dir, tmp_path / "serve-1.log") as (process, port):
        threads = load.run(port, phase=1)
        while load.count() < KILL_AFTER and any(thread.is_alive() for thread in threads):
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        for thread in threads:
            thread.join(60)
    killed_at = load.count()
    load.errors.clear()

    with server(data_dir, tmp_path / "serve-2.log") as (_process, port):
        threads = load.run(port, phase=2)
        for thread in threads:
            thread.join(60)

    uids, stored, sizes, used_bytes, message_count = asyncio.run(read_store(data_dir))
    names = [match.decode() for raw in stored for match in MESSAGE_ID.findall(raw)]
    assert KILL_AFTER <= killed_at < CLIENTS * PER_CLIENT
    assert load.errors == []
    assert len(load.acknowledged) - killed_at == CLIENTS * PER_CLIENT
    assert len(load.acknowledged) >= 500
    assert len(names) == len(stored)
    assert len(set(names)) == len(names), "a message was stored twice"
    assert set(load.acknowledged) <= set(names), "an acknowledged message was lost"
    assert uids == sorted(set(uids))
    assert used_bytes == sum(sizes)
    assert message_count == len(stored)
    assert sizes == [len(raw) for raw in stored]
