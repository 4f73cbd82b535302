"""The three listeners: greeting, EHLO extensions, TLS, and commands outside a transaction."""

from __future__ import annotations

import smtplib

import pytest

from appliance.tls import server_context
from smtp.server import Listener, start_listener
from tests.harness import RunningAppliance
from tests.smtp.helpers import RawClient, raw_client

MX_EXTENSIONS = [
    b"250-mail.hue.gov.vn",
    b"250-PIPELINING",
    b"250-SIZE 52428800",
    b"250-8BITMIME",
    b"250-SMTPUTF8",
    b"250-ENHANCEDSTATUSCODES",
]


def test_mx_ehlo_before_tls(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        reply = client.command(b"EHLO client.example")
    assert reply.split(b"\r\n") == [*MX_EXTENSIONS, b"250 STARTTLS"]


def test_mx_ehlo_after_tls_offers_no_auth(appliance: RunningAppliance) -> None:
    client = smtplib.SMTP("127.0.0.1", appliance.ports["smtp"])
    try:
        client.starttls(context=appliance.client_tls())
        code, text = client.ehlo("client.example")
    finally:
        client.close()
    assert code == 250
    assert text.split(b"\n") == [line[4:] for line in MX_EXTENSIONS]


def test_mx_refuses_auth(appliance: RunningAppliance) -> None:
    client = smtplib.SMTP("127.0.0.1", appliance.ports["smtp"])
    try:
        client.starttls(context=appliance.client_tls())
        client.ehlo("client.example")
        reply = client.docmd("AUTH", "PLAIN AHVzZXIAcGFzcw==")
    finally:
        client.close()
    assert reply == (503, b"5.5.1 Authentication not enabled on this port")


def test_submission_ehlo_offers_auth_only_after_tls(appliance: RunningAppliance) -> None:
    client = smtplib.SMTP("127.0.0.1", appliance.ports["submission"])
    try:
        _, before = client.ehlo("client.example")
        client.starttls(context=appliance.client_tls())
        _, after = client.ehlo("client.example")
    finally:
        client.close()
    assert before.split(b"\n")[-1] == b"STARTTLS"
    assert b"AUTH" not in before
    assert after.split(b"\n")[-1] == b"AUTH LOGIN PLAIN"
    assert b"STARTTLS" not in after


def test_submissions_is_implicit_tls(appliance: RunningAppliance) -> None:
    client = smtplib.SMTP_SSL(
        "127.0.0.1", appliance.ports["submissions"], context=appliance.client_tls()
    )
    try:
        code, text = client.ehlo("client.example")
        starttls = client.docmd("STARTTLS")
    finally:
        client.close()
    assert code == 250
    assert text.split(b"\n")[-1] == b"AUTH LOGIN PLAIN"
    assert b"STARTTLS" not in text
    assert starttls == (454, b"4.7.0 TLS not available")


def test_chunking_is_not_offered(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        ehlo = client.command(b"EHLO client.example")
        bdat = client.command(b"BDAT 10 LAST")
    assert b"CHUNKING" not in ehlo
    assert bdat == b'500 5.5.2 Command "BDAT" not recognized'


def test_helo_reply_has_no_enhanced_code(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        assert client.command(b"HELO client.example") == b"250 mail.hue.gov.vn"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (b"VRFY nvan.skhcn@hue.gov.vn", b"252 2.5.0 Cannot VRFY user, but will accept message"),
        (b"VRFY", b"501 5.5.4 Syntax: VRFY <address>"),
        (b"EXPN staff@hue.gov.vn", b"502 5.5.1 EXPN not supported"),
        (b"NOOP", b"250 2.0.0 OK"),
        (b"RSET", b"250 2.0.0 OK"),
        (b"MAIL FROM:<a@example.org>", b"503 5.5.1 Send HELO first"),
        (b"EHLO", b"501 5.5.4 Syntax: EHLO hostname"),
        (b"EHLO bad\x00name", b"501 5.5.4 Invalid host name: control characters"),
        (b"FROB", b'500 5.5.2 Command "FROB" not recognized'),
        (b"MAIL FROM:<" + b"a" * 990 + b"@example.org>", b"500 5.5.2 Command line too long"),
    ],
)
def test_command_reply(appliance: RunningAppliance, command: bytes, expected: bytes) -> None:
    with raw_client(appliance) as client:
        reply = client.command(command)
    assert reply.startswith(expected), reply


def test_help_lists_commands(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        client.command(b"EHLO client.example")
        reply = client.command(b"HELP")
    assert reply == (
        b"250 2.0.0 Supported commands: DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET STARTTLS VRFY"
    )


def test_transaction_order_errors(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        client.command(b"EHLO client.example")
        rcpt_first = client.command(b"RCPT TO:<nvan.skhcn@hue.gov.vn>")
        data_first = client.command(b"DATA")
        client.command(b"MAIL FROM:<a@example.org>")
        nested = client.command(b"MAIL FROM:<a@example.org>")
        data_without_rcpt = client.command(b"DATA")
    assert rcpt_first == b"503 5.5.1 Need MAIL command"
    assert data_first == b"503 5.5.1 Need RCPT command"
    assert nested == b"503 5.5.1 Nested MAIL command"
    assert data_without_rcpt == b"503 5.5.1 Need RCPT command"


def test_too_many_errors_close_connection(appliance: RunningAppliance) -> None:
    with raw_client(appliance) as client:
        client.command(b"EHLO client.example")
        replies = [client.command(b"RCPT TO:<nvan.skhcn@hue.gov.vn>") for _ in range(19)]
        client.send(b"RCPT TO:<nvan.skhcn@hue.gov.vn>\r\n")
        last = client.reply()
        closing = client.reply()
        closed = client.closed_by_server()
    assert replies == [b"503 5.5.1 Need MAIL command"] * 19
    assert last == b"503 5.5.1 Need MAIL command"
    assert closing == b"421 4.7.0 Too many errors, closing connection"
    assert closed


def test_idle_connection_times_out(appliance: RunningAppliance) -> None:
    listener = Listener("smtp", 0, submission=False, implicit_tls=False)
    tls = server_context(appliance.settings)
    server = appliance.call(lambda: start_listener(appliance.core, tls, listener, timeout=0.2))
    try:
        client = RawClient(server.sockets[0].getsockname()[1])
        greeting = client.reply()
        timeout = client.reply()
        closed = client.closed_by_server()
        client.close()
    finally:
        server.close()
    assert greeting == b"220 mail.hue.gov.vn ESMTP"
    assert timeout == b"421 4.4.2 Timeout exceeded, closing connection"
    assert closed
