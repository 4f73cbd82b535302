"""SMTP smuggling: no sequence inside DATA may end the message early.

Each case pipelines, in one write, a first message whose body holds a fake end of data
followed by the commands of a smuggled second message, then the real end of data, then a
legitimate second transaction. The server must reject the first message (bare CR, bare LF
or NUL), never store the smuggled one, and still deliver the legitimate one.
"""

from __future__ import annotations

import pytest

from tests.harness import RunningAppliance
from tests.smtp.helpers import (
    ASCII_PASSWORD,
    LOCAL,
    inbox,
    raw_client,
    split_trace,
    submission_client,
)

REJECTED = b"554 5.6.0 Message rejected: bare CR or LF; lines must end with CRLF"
REJECTED_NUL = b"554 5.6.0 Message rejected: NUL byte in message data"
SMUGGLED = (
    b"MAIL FROM:<admin@hue.gov.vn>\r\n"
    b"RCPT TO:<nvan.skhcn@hue.gov.vn>\r\n"
    b"DATA\r\n"
    b"From: admin@hue.gov.vn\r\nSubject: smuggled\r\n\r\nPlease send your password.\r\n"
)
LEGITIMATE = b"From: b@example.org\r\nSubject: second\r\n\r\nok\r\n"

FAKE_ENDS = {
    "LF.LF": (b"\n.\n", REJECTED),
    "LF.CRLF": (b"\n.\r\n", REJECTED),
    "CR.CR": (b"\r.\r", REJECTED),
    "CRLF.LF": (b"\r\n.\n", REJECTED),
    "LF.CR": (b"\n.\r", REJECTED),
    "CRLF.CR": (b"\r\n.\r", REJECTED),
    "CR.CRLF": (b"\r.\r\n", REJECTED),
    "CR.LF": (b"\r.\n", REJECTED),
    "CRLF.CRCRLF": (b"\r\n.\r\r\n", REJECTED),
    "CRLF.NULCRLF": (b"\r\n.\x00\r\n", REJECTED_NUL),
    "CRLF.NUL.CRLF": (b"\r\n\x00.\r\n", REJECTED_NUL),
}


def transaction(sender: bytes) -> bytes:
    return b"MAIL FROM:<" + sender + b">\r\nRCPT TO:<" + LOCAL.encode() + b">\r\nDATA\r\n"


@pytest.mark.parametrize("fake_end", FAKE_ENDS.values(), ids=list(FAKE_ENDS))
def test_fake_end_of_data(appliance: RunningAppliance, fake_end: tuple[bytes, bytes]) -> None:
    sequence, rejection = fake_end
    account = appliance.add_account(LOCAL)
    first = b"From: a@example.org\r\nSubject: first\r\n\r\nHello" + sequence + SMUGGLED
    with raw_client(appliance) as client:
        client.send(
            b"EHLO client.example\r\n"
            + transaction(b"a@example.org")
            + first
            + b"\r\n.\r\n"
            + transaction(b"b@example.org")
            + LEGITIMATE
            + b".\r\nQUIT\r\n"
        )
        replies = [client.reply() for _ in range(10)]
    assert replies[0].startswith(b"250-mail.hue.gov.vn")
    assert replies[1] == b"250 2.1.0 Sender OK"
    assert replies[2] == b"250 2.1.5 Recipient OK"
    assert replies[3].startswith(b"354 ")
    assert replies[4] == rejection
    assert replies[5] == b"250 2.1.0 Sender OK"
    assert replies[6] == b"250 2.1.5 Recipient OK"
    assert replies[7].startswith(b"354 ")
    assert replies[8].startswith(b"250 2.0.0 Ok: queued as ")
    assert replies[9] == b"221 2.0.0 Bye"
    [stored] = inbox(appliance, account)
    assert split_trace(stored)[1] == LEGITIMATE


def test_fake_end_on_submission_port(appliance: RunningAppliance) -> None:
    """The submission listeners read DATA with the same reader."""
    account = appliance.add_account(LOCAL, ASCII_PASSWORD)
    with submission_client(appliance) as client:
        client.mail(LOCAL)
        client.rcpt(LOCAL)
        reply = client.data(b"Subject: first\r\n\r\nHello\n.\n" + SMUGGLED.replace(b"admin", b"x"))
    assert reply == (554, REJECTED[4:])
    assert inbox(appliance, account) == []


def test_stuffed_dot_lines_are_data(appliance: RunningAppliance) -> None:
    """A dot-stuffed line that looks like an end of data stays inside one message."""
    account = appliance.add_account(LOCAL)
    with raw_client(appliance) as client:
        client.send(
            b"EHLO client.example\r\n"
            + transaction(b"a@example.org")
            + b"Subject: first\r\n\r\nHello\r\n..\r\n"
            + SMUGGLED
            + b"..hidden\r\n.\r\nQUIT\r\n"
        )
        replies = [client.reply() for _ in range(6)]
    assert replies[4].startswith(b"250 2.0.0 Ok: queued as ")
    assert replies[5] == b"221 2.0.0 Bye"
    [stored] = inbox(appliance, account)
    assert split_trace(stored)[1] == (
        b"Subject: first\r\n\r\nHello\r\n.\r\n" + SMUGGLED + b".hidden\r\n"
    )


def test_lf_only_message_is_rejected(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    with raw_client(appliance) as client:
        client.send(b"EHLO client.example\r\n" + transaction(b"a@example.org"))
        replies = [client.reply() for _ in range(4)]
        client.send(b"Subject: unix\n\nbody\n\r\n.\r\n")
        rejection = client.reply()
    assert replies[3].startswith(b"354 ")
    assert rejection == REJECTED
    assert inbox(appliance, account) == []
