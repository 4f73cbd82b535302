"""Messages at the city's 50 MB limit, through SMTP and back through IMAP.

The limit counts the message as sent, encoding and attachments included: 52,428,800
bytes. The server prepends its trace headers, so the stored message is a little larger;
the limit applies to what the client sends.
"""

from __future__ import annotations

import base64
import imaplib
import os
import re
import smtplib

import pytest

from tests.harness import RunningAppliance

ADDRESS = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Secret-Pass-2026!"
LIMIT = 52_428_800


def message_of_size(size: int) -> bytes:
    """Return a MIME message with a base64 attachment, exactly `size` bytes long."""
    head = (
        b"From: a@example.org\r\nTo: nvan.skhcn@hue.gov.vn\r\n"
        b"Subject: =?utf-8?b?VMOgaSBsaeG7h3U=?=\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b'--b1\r\nContent-Type: application/pdf; name="tai-lieu.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
    )
    tail = b"--b1--\r\n"
    line = base64.b64encode(os.urandom(57)) + b"\r\n"  # 76 characters, as RFC 2045 asks
    count = (size - len(head) - len(tail) - 200) // len(line)
    body = line * count
    padding = size - len(head) - len(body) - len(tail) - len(b"X-Padding: \r\n")
    return b"X-Padding: " + b"p" * padding + b"\r\n" + head + body + tail


@pytest.mark.timeout(240)
def test_just_under_limit_round_trip(appliance: RunningAppliance) -> None:
    appliance.add_account(ADDRESS, PASSWORD)
    raw = message_of_size(LIMIT - 100_000)  # 49.9 MB
    with smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], timeout=120) as client:
        client.starttls(context=appliance.client_tls())
        client.sendmail("a@example.org", [ADDRESS], raw)
    imap = imaplib.IMAP4_SSL(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls(), timeout=120
    )
    imap.login(ADDRESS, PASSWORD)
    imap.select("INBOX", readonly=True)
    typ, data = imap.fetch("1", "(BODY.PEEK[])")
    imap.logout()
    assert typ == "OK"
    fetched = data[0][1]
    match = re.match(
        rb"(?:(?:Received|Authentication-Results|Return-Path):[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)+",
        fetched,
    )
    assert match is not None
    assert fetched[match.end() :] == raw


@pytest.mark.timeout(240)
def test_just_over_limit_refused(appliance: RunningAppliance) -> None:
    appliance.add_account(ADDRESS, PASSWORD)
    raw = message_of_size(LIMIT + 100_000)  # 50.1 MB
    with smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], timeout=120) as client:
        client.starttls(context=appliance.client_tls())
        client.ehlo()
        client.mail("a@example.org")
        client.rcpt(ADDRESS)
        code, text = client.data(raw)
    assert (code, text[:5]) == (552, b"5.3.4")
    inbox = appliance.call(lambda: appliance.core.store.list_folders(1))
    assert [f.messages for f in inbox if f.name == "INBOX"] == [0]


def test_message_builder_is_exact() -> None:
    assert len(message_of_size(123_457)) == 123_457
