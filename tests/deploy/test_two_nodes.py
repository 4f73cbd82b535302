"""Two `appliance serve` processes on one PostgreSQL database and one data folder.

A message delivered through one node must reach an IMAP IDLE on the other node within a
second: that is the promise of the LISTEN/NOTIFY change hub (`appliance.notify_pg`). The
IDLE command itself has no polling fallback, so without the cross-node notification the
client would wait until its 30-minute autologout.
"""

from __future__ import annotations

import asyncio
import imaplib
import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from appliance.config import load_settings
from appliance.core import Core
from tests import postgres

pytestmark = pytest.mark.skipif(
    not postgres.enabled(), reason="two nodes share a database only on PostgreSQL"
)

ADDRESS = "nvan.skhcn@hue.gov.vn"
INITIAL_PASSWORD = "Hue-Mail-2026!initial"
PASSWORD = "Hue-Mail-2026!secure"
NAMES = ["SMTP", "SUBMISSION", "SUBMISSIONS", "IMAP", "IMAPS", "HTTP", "HTTPS", "ADMIN"]
NOTIFY_DEADLINE = 1.0  # seconds: the requirement for cross-node IDLE updates


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def cli(data: Path, *args: str, stdin: str | None = None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "--data", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


class Node:
    """One `appliance serve` process with its own ports."""

    def __init__(self, data: Path) -> None:
        self.ports = dict(zip(NAMES, free_ports(len(NAMES)), strict=True))
        environment = {
            **os.environ,
            **{f"APPLIANCE_{name}_PORT": str(port) for name, port in self.ports.items()},
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "appliance", "--data", str(data), "serve"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_listening(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.ports["ADMIN"]), timeout=1).close()
                return
            except OSError:
                assert self.process.poll() is None, self.process.communicate()[0]
                time.sleep(0.2)
        raise AssertionError("the node did not start listening within 60 s")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=60)
        return output


async def first_change(data: Path) -> None:
    """Replace the password the operator set, as its owner must at the first sign-in."""
    core = await Core.open(load_settings(data))
    try:
        account = await core.accounts.find(ADDRESS)
        assert account is not None
        await core.credentials.change_password(account.id, INITIAL_PASSWORD, PASSWORD, "")
    finally:
        await core.close()


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    data = tmp_path / "data"
    cli(data, "init")
    cli(data, "account", "add", ADDRESS, stdin=INITIAL_PASSWORD + "\n")
    asyncio.run(first_change(data))
    first, second = Node(data), Node(data)
    try:
        first.wait_listening()
        second.wait_listening()
        yield first, second
    finally:
        outputs = [first.stop(), second.stop()]
    for output in outputs:
        assert "listening for changes from other nodes" in output


def unverified_tls() -> ssl.SSLContext:
    """The nodes' certificate is the self-signed one made at init; nothing to verify it by."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class IdleClient:
    """A raw IMAP client in IDLE on one node's INBOX (RFC 2177)."""

    def __init__(self, node: Node) -> None:
        self.socket = socket.create_connection(("127.0.0.1", node.ports["IMAP"]), timeout=30)
        self.reader = self.socket.makefile("rb")
        self.expect(b"* OK")
        self.command(b"a1 STARTTLS")
        self.socket = unverified_tls().wrap_socket(self.socket)
        self.reader = self.socket.makefile("rb")
        self.command(f"a2 LOGIN {ADDRESS} {PASSWORD}".encode())
        self.command(b"a3 SELECT INBOX")
        self.socket.sendall(b"a4 IDLE\r\n")
        self.expect(b"+ ")

    def expect(self, prefix: bytes) -> bytes:
        line = self.reader.readline()
        assert line.startswith(prefix), line
        return line

    def command(self, line: bytes) -> None:
        tag = line.split(b" ", 1)[0]
        self.socket.sendall(line + b"\r\n")
        while True:
            reply = self.reader.readline()
            assert reply, "connection closed"
            if reply.startswith(tag + b" "):
                assert reply.startswith(tag + b" OK"), reply
                return

    def next_untagged(self, timeout: float) -> bytes:
        self.socket.settimeout(timeout)
        try:
            return self.reader.readline()
        finally:
            self.socket.settimeout(30)

    def close(self) -> None:
        self.socket.sendall(b"DONE\r\n")
        self.expect(b"a4 OK")
        self.socket.close()


def deliver(node: Node, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", node.ports["SMTP"], timeout=30) as client:
        client.sendmail(
            "friend@example.org",
            [ADDRESS],
            f"From: friend@example.org\r\nTo: {ADDRESS}\r\nSubject: {subject}\r\n\r\nHi.\r\n",
        )


@pytest.mark.timeout(300)
def test_idle_sees_delivery_through_other_node(nodes: tuple[Node, Node]) -> None:
    first, second = nodes
    watcher = IdleClient(second)
    deliver(first, "through the first node")
    assert watcher.next_untagged(NOTIFY_DEADLINE) == b"* 1 EXISTS\r\n"
    watcher.close()

    other_watcher = IdleClient(first)
    deliver(second, "through the second node")
    assert other_watcher.next_untagged(NOTIFY_DEADLINE) == b"* 2 EXISTS\r\n"
    other_watcher.close()


def number_after(name: bytes, response: bytes) -> int:
    found = re.search(re.escape(name) + rb" (\d+)", response)
    assert found is not None, response
    return int(found.group(1))


@pytest.mark.timeout(300)
def test_concurrent_delivery_through_both_nodes(nodes: tuple[Node, Node]) -> None:
    """Four clients per node deliver into one INBOX at once: no UID is handed out twice."""
    per_client = 25

    def send_batch(node: Node, name: str) -> None:
        for number in range(per_client):
            deliver(node, f"{name} {number}")

    batches = [
        (node, f"{label}-{client}")
        for label, node in zip("ab", nodes, strict=True)
        for client in range(4)
    ]
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        for done in [pool.submit(send_batch, node, name) for node, name in batches]:
            done.result()

    expected = {f"{name} {number}" for _node, name in batches for number in range(per_client)}
    client = imaplib.IMAP4("127.0.0.1", nodes[1].ports["IMAP"])
    client.starttls(ssl_context=unverified_tls())
    client.login(ADDRESS, PASSWORD)
    client.select("INBOX", readonly=True)
    _, data = client.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    _, quota = client.getquotaroot("INBOX")
    client.logout()
    fetched = [item for item in data if isinstance(item, tuple)]
    uids = [number_after(b"UID", meta) for meta, _ in fetched]
    sizes = [number_after(b"RFC822.SIZE", meta) for meta, _ in fetched]
    subjects = {header.decode().strip().removeprefix("Subject: ") for _, header in fetched}
    assert uids == list(range(1, len(expected) + 1))
    assert subjects == expected
    # STORAGE is counted in KiB, rounded up (RFC 9208 section 5.1).
    storage = -(-sum(sizes) // 1024)
    assert quota[1] == [f'"" (STORAGE {storage} 5242880 MESSAGE {len(expected)} 1000000)'.encode()]
