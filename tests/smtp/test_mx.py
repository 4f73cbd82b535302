"""Inbound delivery on the MX listener: recipients, trace header, durability."""

from __future__ import annotations

import re
import smtplib
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import pytest

from tests.harness import RunningAppliance
from tests.smtp.helpers import (
    FOREIGN,
    LOCAL,
    OTHER_LOCAL,
    inbox,
    mx_client,
    raw_client,
    split_trace,
    trace_fields,
)

MESSAGE = b"From: a@example.org\r\nTo: nvan.skhcn@hue.gov.vn\r\nSubject: hi\r\n\r\nHello.\r\n"
QUEUED = re.compile(rb"2\.0\.0 Ok: queued as ([0-9A-F]{12})")


def test_delivery_prepends_one_received_header(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    with mx_client(appliance) as client:
        client.mail("a@example.org")
        client.rcpt(LOCAL)
        code, text = client.data(MESSAGE)
    assert code == 250
    match = QUEUED.fullmatch(text)
    assert match is not None, text
    [stored] = inbox(appliance, account)
    trace, rest = split_trace(stored)
    assert rest == MESSAGE
    added = trace_fields(stored)
    assert added["Return-Path"] == "<a@example.org>"
    # The test resolver fails every lookup: each check is a temporary error, and no action.
    assert added["Authentication-Results"] == (
        "mail.hue.gov.vn; spf=temperror smtp.mailfrom=example.org; dkim=none; "
        "dmarc=temperror header.from=example.org"
    )
    lines = trace.decode().split("\r\n")
    assert lines[0] == "Received: from client.example ([127.0.0.1])"
    assert re.fullmatch(
        rf"\tby mail\.hue\.gov\.vn with ESMTPS \(TLSv1\.[23] [A-Z0-9_-]+\) id {match[1].decode()}",
        lines[1],
    ), lines[1]
    assert lines[2].startswith(f"\tfor <{LOCAL}>; ")
    date = parsedate_to_datetime(lines[2].split("; ", 1)[1])
    assert date.utcoffset() is not None
    assert lines[3] == ""


def test_plain_helo_is_traced_as_smtp(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    client = smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], local_hostname="old.example")
    try:
        client.helo()
        client.sendmail("a@example.org", [LOCAL], MESSAGE)
    finally:
        client.close()
    [stored] = inbox(appliance, account)
    trace, _ = split_trace(stored)
    assert trace.startswith(b"Received: from old.example ([127.0.0.1])\r\n\tby mail.hue.gov.vn ")
    assert b" with SMTP id " in trace


def test_unknown_local_user_is_rejected(appliance: RunningAppliance) -> None:
    with mx_client(appliance) as client:
        client.mail("a@example.org")
        reply = client.rcpt("nobody@hue.gov.vn")
    assert reply == (550, b"5.1.1 No such user here")


def test_foreign_recipient_is_relay_denied(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL)
    with mx_client(appliance) as client:
        client.mail("a@example.org")
        reply = client.rcpt(FOREIGN)
    assert reply == (550, b"5.7.1 Relaying denied")


def test_recipient_domain_is_case_insensitive(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    with mx_client(appliance) as client:
        client.sendmail("a@example.org", ["NVAN.SKHCN@HUE.GOV.VN"], MESSAGE)
    assert len(inbox(appliance, account)) == 1


def test_multiple_recipients_get_one_row_each(appliance: RunningAppliance) -> None:
    first = appliance.add_account(LOCAL)
    second = appliance.add_account(OTHER_LOCAL)
    with mx_client(appliance) as client:
        refused = client.sendmail(
            "a@example.org", [LOCAL, "nobody@hue.gov.vn", OTHER_LOCAL], MESSAGE
        )
    assert refused == {"nobody@hue.gov.vn": (550, b"5.1.1 No such user here")}
    [stored_first] = inbox(appliance, first)
    [stored_second] = inbox(appliance, second)
    assert stored_first == stored_second
    trace, rest = split_trace(stored_first)
    assert rest == MESSAGE
    assert b"\tfor <" not in trace


def test_null_sender_is_accepted(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    with raw_client(appliance) as client:
        client.command(b"EHLO mx.example.org")
        assert client.command(b"MAIL FROM:<>") == b"250 2.1.0 Sender OK"
        assert client.command(b"RCPT TO:<" + LOCAL.encode() + b">") == b"250 2.1.5 Recipient OK"
        assert client.command(b"DATA").startswith(b"354 ")
        reply = client.command(MESSAGE + b".")
    assert QUEUED.fullmatch(reply[4:]), reply
    assert len(inbox(appliance, account)) == 1


def test_bare_postmaster_reaches_the_domain_postmaster(appliance: RunningAppliance) -> None:
    account = appliance.add_account("postmaster@hue.gov.vn")
    with raw_client(appliance) as client:
        client.command(b"EHLO mx.example.org")
        client.command(b"MAIL FROM:<a@example.org>")
        rcpt = client.command(b"RCPT TO:<Postmaster>")
        client.command(b"DATA")
        reply = client.command(MESSAGE + b".")
    assert rcpt == b"250 2.1.5 Recipient OK"
    assert reply.startswith(b"250 2.0.0 Ok: queued as ")
    [stored] = inbox(appliance, account)
    assert b"\tfor <postmaster@hue.gov.vn>; " in split_trace(stored)[0]


@pytest.mark.parametrize(
    "recipient", [b"<postmaster>", b"<POSTMASTER>", b"<Postmaster@hue.gov.vn>"]
)
def test_postmaster_without_account_reaches_centre(
    appliance: RunningAppliance, recipient: bytes
) -> None:
    centre = appliance.add_account(LOCAL, kind="centre_admin")  # the first: it gets the mail
    second = appliance.add_account(OTHER_LOCAL, kind="centre_admin")
    with raw_client(appliance) as client:
        client.command(b"EHLO mx.example.org")
        client.command(b"MAIL FROM:<a@example.org>")
        rcpt = client.command(b"RCPT TO:" + recipient)
        client.command(b"DATA")
        reply = client.command(MESSAGE + b".")
    assert rcpt == b"250 2.1.5 Recipient OK"
    assert reply.startswith(b"250 2.0.0 Ok: queued as ")
    [stored] = inbox(appliance, centre)
    assert split_trace(stored)[1] == MESSAGE
    assert inbox(appliance, second) == []


def test_postmaster_without_any_admin_is_unknown(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL)
    with raw_client(appliance) as client:
        client.command(b"EHLO mx.example.org")
        client.command(b"MAIL FROM:<a@example.org>")
        rcpt = client.command(b"RCPT TO:<postmaster>")
    assert rcpt == b"550 5.1.1 No such user here"


def test_control_characters_in_address_are_rejected(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        client.command(b"EHLO client.example")
        mail = client.command(b"MAIL FROM:<a\x00b@example.org>")
        client.command(b"MAIL FROM:<a@example.org>")
        rcpt = client.command(b"RCPT TO:<nvan\x01@hue.gov.vn>")
    assert mail == b"553 5.1.3 Invalid address: control characters"
    assert rcpt == b"553 5.1.3 Invalid address: control characters"


def test_smtputf8_and_8bitmime(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    body = "Subject: Giấy mời họp\r\nFrom: người.gửi@ví-dụ.vn\r\n\r\nKính gửi anh Văn.\r\n"
    with raw_client(appliance) as raw:
        raw.command(b"EHLO client.example")
        refused_ascii = raw.command("MAIL FROM:<người.gửi@ví-dụ.vn>".encode())
        raw.command(b"MAIL FROM:<a@example.org>")
        refused_rcpt = raw.command("RCPT TO:<văn@hue.gov.vn>".encode())
    with mx_client(appliance) as client:
        client.sendmail(
            "người.gửi@ví-dụ.vn",
            [LOCAL],
            body.encode(),
            mail_options=["SMTPUTF8", "BODY=8BITMIME"],
        )
    assert refused_ascii == b"553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter"
    assert refused_rcpt == b"553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter"
    [stored] = inbox(appliance, account)
    trace, rest = split_trace(stored)
    assert rest == body.encode()
    assert b" with UTF8SMTPS " in trace


@pytest.mark.parametrize("clients", [8])
def test_reply_250_means_readable(appliance: RunningAppliance, clients: int) -> None:
    """Each 250 arrives only once the message can be read back from the store."""
    account = appliance.add_account(LOCAL)

    def send(number: int) -> list[bool]:
        seen = []
        with mx_client(appliance) as client:
            for sequence in range(5):
                marker = f"<durable-{number}-{sequence}@example.org>"
                message = f"Message-ID: {marker}\r\nSubject: {number}\r\n\r\nbody\r\n".encode()
                client.sendmail("a@example.org", [LOCAL], message)
                seen.append(any(marker.encode() in raw for raw in inbox(appliance, account)))
        return seen

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(send, range(clients)))
    assert results == [[True] * 5] * clients
    assert len(inbox(appliance, account)) == clients * 5
