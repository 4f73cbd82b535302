"""Submission on ports 587 (STARTTLS) and 465 (implicit TLS): AUTH, sender identity, queue."""

from __future__ import annotations

import logging
import re
import smtplib
from base64 import b64encode
from datetime import timedelta

import pytest
from sqlalchemy import select

from appliance.models import OutboundMessage
from tests.harness import DEFAULT_PASSWORD, RunningAppliance
from tests.smtp.helpers import (
    ASCII_PASSWORD,
    FOREIGN,
    LOCAL,
    OTHER_LOCAL,
    SUBMISSION_TRACE,
    folder_messages,
    inbox,
    raw_client,
    split_trace,
    submission_client,
    trace_fields,
)

MESSAGE = b"From: nvan.skhcn@hue.gov.vn\r\nSubject: report\r\n\r\nAttached.\r\n"


def outbound(appliance: RunningAppliance) -> list[tuple[str, str, str]]:
    """Return (mail_from, rcpt_to, state) of every outbound queue entry, in insertion order."""

    async def read() -> list[tuple[str, str, str]]:
        async with appliance.core.sessions() as session:
            rows = await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
            return [(row.mail_from, row.rcpt_to, row.state) for row in rows]

    return appliance.call(read)


def plain(user: str, password: str, authzid: str = "") -> str:
    return b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


def test_auth_before_tls_is_refused(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    with raw_client(appliance, "submission") as client:
        client.command(b"EHLO client.example")
        auth = client.command(b"AUTH PLAIN " + plain(LOCAL, ASCII_PASSWORD).encode())
        mail = client.command(b"MAIL FROM:<nvan.skhcn@hue.gov.vn>")
    assert auth == b"530 5.7.0 Must issue a STARTTLS command first"
    assert mail == b"530 5.7.0 Must issue a STARTTLS command first"


def test_mail_and_rcpt_need_auth(appliance: RunningAppliance) -> None:
    with submission_client(appliance, user=None) as client:
        mail = client.docmd("MAIL", "FROM:<nvan.skhcn@hue.gov.vn>")
        rcpt = client.docmd("RCPT", "TO:<friend@example.org>")
        data = client.docmd("DATA")
    assert mail == (530, b"5.7.0 Authentication required")
    assert rcpt == (530, b"5.7.0 Authentication required")
    assert data == (530, b"5.7.0 Authentication required")


def test_wrong_password(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    with submission_client(appliance, user=None) as client:
        reply = client.docmd("AUTH", "PLAIN " + plain(LOCAL, "Wrong-password-1"))
        mail = client.docmd("MAIL", f"FROM:<{LOCAL}>")
    assert reply == (535, b"5.7.8 Authentication credentials invalid")
    assert mail == (530, b"5.7.0 Authentication required")


def test_three_failed_auth_close_connection(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    with submission_client(appliance, user=None) as client:
        replies = []
        for _ in range(3):
            # Forget the core's failure count, so its growing delay does not slow the test.
            appliance.clock.advance(timedelta(hours=2))
            replies.append(client.docmd("AUTH", "PLAIN " + plain(LOCAL, "Wrong-password-1")))
        closing = client.getreply()
    assert replies == [(535, b"5.7.8 Authentication credentials invalid")] * 3
    assert closing == (421, b"4.7.0 Too many failed authentication attempts")


def test_auth_plain_with_utf8_password(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, DEFAULT_PASSWORD)
    with submission_client(appliance, user=None) as client:
        reply = client.docmd("AUTH", "PLAIN " + plain(LOCAL, DEFAULT_PASSWORD))
    assert reply == (235, b"2.7.0 Authentication successful")


def test_auth_plain_with_challenge(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    with submission_client(appliance, user=None) as client:
        challenge = client.docmd("AUTH", "PLAIN")
        reply = client.docmd(plain(LOCAL, ASCII_PASSWORD))
    assert challenge == (334, b"")
    assert reply == (235, b"2.7.0 Authentication successful")


def test_auth_plain_for_another_identity_fails(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    with submission_client(appliance, user=None) as client:
        reply = client.docmd("AUTH", "PLAIN " + plain(LOCAL, ASCII_PASSWORD, authzid=OTHER_LOCAL))
    assert reply == (535, b"5.7.8 Authentication credentials invalid")


def test_auth_login(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    with submission_client(appliance, user=None) as client:
        username_prompt = client.docmd("AUTH", "LOGIN")
        password_prompt = client.docmd(b64encode(LOCAL.encode()).decode())
        reply = client.docmd(b64encode(ASCII_PASSWORD.encode()).decode())
    assert username_prompt == (334, b64encode(b"Username:"))
    assert password_prompt == (334, b64encode(b"Password:"))
    assert reply == (235, b"2.7.0 Authentication successful")


def test_auth_aborted_and_bad_base64(appliance: RunningAppliance) -> None:
    with submission_client(appliance, user=None) as client:
        client.docmd("AUTH", "PLAIN")
        aborted = client.docmd("*")
        bad = client.docmd("AUTH", "PLAIN not-base64!")
        unknown = client.docmd("AUTH", "CRAM-MD5")
    assert aborted == (501, b"5.7.0 Auth aborted")
    assert bad == (501, b"5.5.2 Cannot decode base64")
    assert unknown == (504, b"5.5.4 Unrecognized authentication type")


def test_sender_must_be_own_address(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    appliance.add_account(OTHER_LOCAL, ASCII_PASSWORD)
    with submission_client(appliance) as client:
        other = client.docmd("MAIL", f"FROM:<{OTHER_LOCAL}>")
        null = client.docmd("MAIL", "FROM:<>")
        own = client.docmd("MAIL", f"FROM:<{LOCAL.upper()}>")
    assert other == (
        553,
        b"5.7.1 Sender address not owned by the authenticated account",
    )
    assert null[0] == 553
    assert own == (250, b"2.1.0 Sender OK")


AUTHOR_REFUSED = (
    b"5.7.1 From: header address not owned by the authenticated account;"
    b" use your own address in From:"
)


@pytest.mark.parametrize(
    "fields",
    [
        "From: Quan Tri <quantri@hue.gov.vn>",
        "From: =?utf-8?b?VHJ1bmcgdMOibQ==?= <quantri@hue.gov.vn>",
        "From: =?utf-8?b?cXVhbnRyaUBodWUuZ292LnZu?=",
        "From: =?utf-8?b?cXVhbnRyaUBodWUuZ292LnZu?= <nvan.skhcn@hue.gov.vn>",
        "From: nvan.skhcn@hue.gov.vn, quantri@hue.gov.vn",
        "From: nvan.skhcn@hue.gov.vn\r\nFrom: quantri@hue.gov.vn",
        "From: nvan.skhcn@hue.gov.vn\r\nSender: quantri@hue.gov.vn",
        "From: friend@example.org",
        # A group with no mailbox: RFC 5322 section 3.6.2 requires at least one.
        "From: Trung tam:;",
        "From: quantri\uff20hue.gov.vn <nvan.skhcn@hue.gov.vn>",
    ],
)
def test_from_header_must_be_own(appliance: RunningAppliance, fields: str) -> None:
    account = appliance.add_account(LOCAL, ASCII_PASSWORD)
    other = appliance.add_account(OTHER_LOCAL)
    raw = f"{fields}\r\nSubject: x\r\n\r\nx\r\n".encode()
    with (
        submission_client(appliance) as client,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        client.sendmail(LOCAL, [OTHER_LOCAL], raw)
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error == AUTHOR_REFUSED
    assert inbox(appliance, other) == []
    assert folder_messages(appliance, account, "Sent") == []


@pytest.mark.parametrize(
    "fields",
    [
        "From: NVAN.SKHCN@HUE.GOV.VN",
        "From: =?utf-8?b?Tmd1eeG7hW4gVsSDbiBBbg==?= <nvan.skhcn@hue.gov.vn>",
        'From: "nvan.skhcn@hue.gov.vn" <nvan.skhcn@hue.gov.vn>',
        "Subject: no author",
    ],
)
def test_own_from_header_is_accepted(appliance: RunningAppliance, fields: str) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    other = appliance.add_account(OTHER_LOCAL)
    raw = f"{fields}\r\nSubject: x\r\n\r\nx\r\n".encode()
    with submission_client(appliance) as client:
        assert client.sendmail(LOCAL, [OTHER_LOCAL], raw) == {}
    [stored] = inbox(appliance, other)
    assert stored.startswith(f"Return-Path: <{LOCAL}>\r\n".encode())


def test_foreign_recipient_is_queued(appliance: RunningAppliance) -> None:
    sender = appliance.add_account(LOCAL, ASCII_PASSWORD)
    colleague = appliance.add_account(OTHER_LOCAL, ASCII_PASSWORD)
    appliance.call(appliance.core.queue.stop)  # keep the entry as queued, not yet tried
    with submission_client(appliance) as client:
        refused = client.sendmail(LOCAL, [FOREIGN, OTHER_LOCAL, "nobody@hue.gov.vn"], MESSAGE)
    assert refused == {"nobody@hue.gov.vn": (550, b"5.1.1 No such user here")}
    assert outbound(appliance) == [(LOCAL, FOREIGN, "queued")]
    [stored] = inbox(appliance, colleague)
    trace, rest = split_trace(stored, SUBMISSION_TRACE)
    assert trace_fields(stored, SUBMISSION_TRACE)["Return-Path"] == f"<{LOCAL}>"
    head, body = rest.split(b"\r\n\r\n", 1)
    assert head.startswith(MESSAGE.split(b"\r\n\r\n")[0] + b"\r\nMessage-ID: <")
    assert re.fullmatch(rb"Message-ID: <[^>]+@mail\.hue\.gov\.vn>", head.split(b"\r\n")[2])
    assert head.split(b"\r\n")[3].startswith(b"Date: ")
    assert len(head.split(b"\r\n")) == 4
    assert body == b"Attached.\r\n"
    assert b" with ESMTPSA " in trace
    assert inbox(appliance, sender) == []
    assert folder_messages(appliance, sender, "Sent") == []


def test_implicit_tls_submission(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    appliance.call(appliance.core.queue.stop)  # keep the entry as queued, not yet tried
    client = smtplib.SMTP_SSL(
        "127.0.0.1", appliance.ports["submissions"], context=appliance.client_tls()
    )
    try:
        client.login(LOCAL, ASCII_PASSWORD)
        client.sendmail(LOCAL, [FOREIGN], MESSAGE)
    finally:
        client.close()
    assert outbound(appliance) == [(LOCAL, FOREIGN, "queued")]


def test_recipient_limit(appliance: RunningAppliance) -> None:
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    with submission_client(appliance) as client:
        client.mail(LOCAL)
        # Pipelined (RFC 2920): all commands first, then all replies.
        for number in range(1001):
            client.send(f"RCPT TO:<user{number}@example.org>\r\n")
        replies = [client.getreply() for _ in range(1001)]
        code, _ = client.data(MESSAGE)
    assert replies[:1000] == [(250, b"2.1.5 Recipient OK")] * 1000
    assert replies[1000] == (452, b"4.5.3 Too many recipients")
    assert code == 250
    assert len(outbound(appliance)) == 1000


def test_no_password_in_any_log(
    appliance: RunningAppliance, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    appliance.add_account(LOCAL, ASCII_PASSWORD)
    secrets = [
        ASCII_PASSWORD,
        b64encode(ASCII_PASSWORD.encode()).decode(),
        plain(LOCAL, ASCII_PASSWORD),
        "Wrong-password-1",
    ]
    with raw_client(appliance, "submission") as client:
        client.command(b"EHLO client.example")
        # A confused client that sends credentials before TLS, as commands.
        client.command(b"AUTH LOGIN")
        client.command(b64encode(ASCII_PASSWORD.encode()))
        client.command(ASCII_PASSWORD.encode())
    with submission_client(appliance, user=None) as client:
        client.docmd("AUTH", "PLAIN " + plain(LOCAL, "Wrong-password-1"))
        appliance.clock.advance(timedelta(hours=2))
        client.docmd("AUTH", "PLAIN")
        client.docmd(plain(LOCAL, ASCII_PASSWORD))
    with submission_client(appliance, user=None) as client:
        client.docmd("AUTH", "PLAIN " + plain(LOCAL, ASCII_PASSWORD))
    with submission_client(appliance, user=None) as client:
        client.docmd("AUTH", "LOGIN " + b64encode(LOCAL.encode()).decode())
        client.docmd(b64encode(ASCII_PASSWORD.encode()).decode())
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "C: AUTH PLAIN ********" in logged
    assert "C: AUTH LOGIN ********" in logged
    assert "auth ok conn=" in logged
    for secret in secrets:
        assert secret not in logged
