"""Clients and store readers shared by the SMTP tests."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from appliance.store.types import AccountInfo
from tests.harness import RunningAppliance

LOCAL = "nvan.skhcn@hue.gov.vn"
OTHER_LOCAL = "tthi.stttt@hue.gov.vn"
FOREIGN = "friend@example.org"
# smtplib sends AUTH credentials as ASCII only; the UTF-8 case is tested by hand.
ASCII_PASSWORD = "Hue-Mail-2026!secure"


@contextmanager
def mx_client(appliance: RunningAppliance, helo: str = "client.example") -> Iterator[smtplib.SMTP]:
    """An smtplib client on the MX port, after STARTTLS and EHLO."""
    client = smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], local_hostname=helo, timeout=30)
    try:
        client.starttls(context=appliance.client_tls())
        client.ehlo()
        yield client
    finally:
        client.close()


@contextmanager
def submission_client(
    appliance: RunningAppliance, user: str | None = LOCAL, password: str = ASCII_PASSWORD
) -> Iterator[smtplib.SMTP]:
    """An smtplib client on the submission port, after STARTTLS and (unless no user) AUTH."""
    client = smtplib.SMTP("127.0.0.1", appliance.ports["submission"], timeout=30)
    try:
        client.starttls(context=appliance.client_tls())
        client.ehlo()
        if user is not None:
            client.login(user, password)
        yield client
    finally:
        client.close()


def inbox(appliance: RunningAppliance, account: AccountInfo) -> list[bytes]:
    """Return the stored bytes of every message in the account's INBOX, by UID."""
    return folder_messages(appliance, account, "INBOX")


def folder_messages(appliance: RunningAppliance, account: AccountInfo, name: str) -> list[bytes]:
    core = appliance.core

    async def read() -> list[bytes]:
        folder = await core.store.folder(account.id, name)
        return [
            await core.store.read(info.blob_key) for info in await core.store.messages(folder.id)
        ]

    return appliance.call(read)


MX_TRACE = ("Return-Path", "Authentication-Results", "Received")
SUBMISSION_TRACE = ("Return-Path", "Received")


def leading_fields(stored: bytes, count: int) -> tuple[list[bytes], bytes]:
    """Split the first `count` header fields (each with its folded lines) from the rest."""
    fields = []
    start = 0
    for _ in range(count):
        end = start
        while True:
            end = stored.index(b"\r\n", end) + 2
            if stored[end : end + 1] not in (b" ", b"\t"):
                break
        fields.append(stored[start:end])
        start = end
    return fields, stored[start:]


def split_trace(stored: bytes, names: tuple[str, ...] = MX_TRACE) -> tuple[bytes, bytes]:
    """Split a stored message into its Received field and what follows the added fields.

    The message must start with exactly the trace fields `names`, in that order; the MX
    adds Return-Path, Authentication-Results and Received.
    """
    fields, rest = leading_fields(stored, len(names))
    assert [field.split(b":", 1)[0].decode() for field in fields] == list(names), fields
    return fields[-1], rest


def trace_fields(stored: bytes, names: tuple[str, ...] = MX_TRACE) -> dict[str, str]:
    """Return the added trace fields by name, unfolded, without the field names."""
    fields, _rest = leading_fields(stored, len(names))
    return {
        field.split(b":", 1)[0].decode(): " ".join(field.split(b":", 1)[1].decode().split())
        for field in fields
    }


class RawClient:
    """A plain socket SMTP client for dialogues smtplib cannot produce."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        """Return one whole reply (every line of a multiline one), without the last CRLF."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line[3:4] != b"-":
                return b"\r\n".join(lines)

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; unread: {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def command(self, line: bytes) -> bytes:
        self.send(line + b"\r\n")
        return self.reply()

    def closed_by_server(self) -> bool:
        """Tell whether the server has closed the connection (nothing more to read)."""
        return self.buffer == b"" and self.sock.recv(1) == b""


@contextmanager
def raw_client(appliance: RunningAppliance, listener: str = "smtp") -> Iterator[RawClient]:
    client = RawClient(appliance.ports[listener])
    try:
        assert client.reply() == b"220 mail.hue.gov.vn ESMTP"
        yield client
    finally:
        client.close()
