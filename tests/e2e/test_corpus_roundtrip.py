"""Every corpus message through the whole appliance: SMTP in, the store, IMAP out.

Each message is sent with smtplib over STARTTLS to a local account and read back with
imaplib, aioimaplib and imapclient. What IMAP returns must be the bytes sent plus exactly
the MX's prepended trace fields (Return-Path, Authentication-Results, Received), and
ENVELOPE and BODYSTRUCTURE must agree with Python's own parse of the same bytes. Some
corpus messages come From: the city's domain, so the client is trusted as an internal
relay; the MX rejects local senders from anywhere else.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import imaplib
import re
import smtplib
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import aioimaplib
import imapclient
import pytest
from imapclient.response_types import BodyData

from tests.conftest import CORPUS
from tests.harness import RunningAppliance, running_appliance

ADDRESS = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Secret-Pass-2026!"  # imaplib sends LOGIN arguments as ASCII only
FILES = sorted(CORPUS.rglob("*.eml"))


def wire_form(path: Path) -> bytes:
    """Return the file as SMTP carries it: CRLF line endings and a final CRLF."""
    data = path.read_bytes()
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def send_all(appliance: RunningAppliance, messages: list[bytes]) -> None:
    with smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], timeout=30) as client:
        client.starttls(context=appliance.client_tls())
        for raw in messages:
            # The corpus has 8-bit bodies: declare 8BITMIME so the bytes pass unchanged.
            client.sendmail("sender@example.org", [ADDRESS], raw, mail_options=["BODY=8BITMIME"])


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[tuple[RunningAppliance, list[bytes]]]:
    with running_appliance(tmp_path / "data", trusted_networks=("127.0.0.1/32",)) as appliance:
        appliance.add_account(ADDRESS, PASSWORD)
        messages = [wire_form(path) for path in FILES]
        send_all(appliance, messages)
        yield appliance, messages


TRACE = re.compile(
    rb"Return-Path: <sender@example\.org>\r\n"
    rb"Authentication-Results: mail\.hue\.gov\.vn;[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*"
    rb"(Received:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)"
)


def strip_trace(fetched: bytes) -> tuple[bytes, bytes]:
    """Split the prepended trace fields from the rest; return the Received field and the rest."""
    match = TRACE.match(fetched)
    assert match is not None, fetched[:300]
    return match.group(1), fetched[match.end() :]


def content_types(message: Message) -> list[str]:
    """Return the content type of every entity, depth first, as Python's parser sees it.

    IMAP BODYSTRUCTURE nests only multipart and message/rfc822 (RFC 3501 7.4.2), while
    Python also opens message/delivery-status and message/external-body; those stay leaves.
    """
    kind = message.get_content_type()
    opened = kind.startswith("multipart/") or kind in ("message/rfc822", "message/global")
    if not opened or not message.is_multipart():
        return [kind]
    found = [kind]
    for child in message.get_payload():
        found.extend(content_types(child))
    return found


def raw_header(raw: bytes, name: bytes) -> bytes | None:
    """Return the first header field `name` as on the wire, unfolded and trimmed."""
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    match = re.search(
        rb"^" + re.escape(name) + rb"[ \t]*:(.*?)\r\n(?![ \t])",
        head,
        re.IGNORECASE | re.MULTILINE | re.DOTALL,
    )
    if match is None:
        return None
    return match.group(1).replace(b"\r\n", b"").strip(b" \t")


def python_found_defects(message: Message) -> bool:
    return any(part.defects for part in message.walk())


def flatten(structure: Any) -> list[str]:
    """Return the content type of every entity of an IMAP BODYSTRUCTURE, depth first."""
    if not isinstance(structure, BodyData):
        structure = BodyData.create(structure)
    if structure.is_multipart:
        children, subtype = structure[0], structure[1]
        found = [f"multipart/{subtype.decode().lower()}"]
        for child in children:
            found.extend(flatten(child))
        return found
    kind = f"{structure[0].decode().lower()}/{structure[1].decode().lower()}"
    if kind in ("message/rfc822", "message/global") and len(structure) > 8:
        return [kind, *flatten(structure[8])]
    return [kind]


def test_corpus_has_every_folder() -> None:
    folders = {path.parent.name for path in FILES}
    assert folders == {"cpython", "legacy", "rfc", "thirdparty", "vietnamese"}
    assert len(FILES) == 137


def test_imaplib_reads_bytes_back(filled: tuple[RunningAppliance, list[bytes]]) -> None:
    appliance, messages = filled
    client = imaplib.IMAP4("127.0.0.1", appliance.ports["imap"], timeout=30)
    client.starttls(ssl_context=appliance.client_tls())
    client.login(ADDRESS, PASSWORD)
    typ, data = client.select("INBOX", readonly=True)
    assert (typ, data) == ("OK", [str(len(messages)).encode()])
    typ, fetched = client.fetch(f"1:{len(messages)}", "(UID BODY.PEEK[])")
    assert typ == "OK"
    bodies = [item[1] for item in fetched if isinstance(item, tuple)]
    assert len(bodies) == len(messages)
    for number, (sent, body) in enumerate(zip(messages, bodies, strict=True), start=1):
        trace, rest = strip_trace(body)
        assert rest == sent, f"message {number} ({FILES[number - 1].name}) changed in the store"
        assert trace.startswith(b"Received: from ")
    client.logout()


def test_envelope_and_structure_agree(filled: tuple[RunningAppliance, list[bytes]]) -> None:
    appliance, messages = filled
    client = imapclient.IMAPClient(
        "127.0.0.1",
        appliance.ports["imaps"],
        ssl=True,
        ssl_context=appliance.client_tls(),
        timeout=30,
    )
    client.login(ADDRESS, PASSWORD)
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    assert len(uids) == len(messages)
    response = client.fetch(uids, ["ENVELOPE", "BODYSTRUCTURE", "RFC822.SIZE"])
    for position, uid in enumerate(sorted(uids)):
        sent = messages[position]
        parsed = email.message_from_bytes(sent, policy=email.policy.compat32)
        item = response[uid]
        envelope = item[b"ENVELOPE"]
        name = FILES[position].name
        subject = raw_header(sent, b"Subject")
        assert envelope.subject == subject, name
        message_id = raw_header(sent, b"Message-ID")
        assert envelope.message_id == message_id, name
        senders = email.utils.getaddresses(parsed.get_all("From", []))
        if len(senders) == 1 and "@" in senders[0][1] and envelope.from_:
            mailbox, host = senders[0][1].rsplit("@", 1)
            assert envelope.from_[0].mailbox == mailbox.encode(), name
            assert envelope.from_[0].host == host.encode(), name
        if not python_found_defects(parsed):
            # Where Python itself reports MIME defects (such as a boundary reused by a nested
            # multipart), two parsers may both be right and still disagree.
            assert flatten(item[b"BODYSTRUCTURE"]) == content_types(parsed), name
        assert item[b"RFC822.SIZE"] > len(sent), name
    client.logout()


def test_aioimaplib_reads_every_message(filled: tuple[RunningAppliance, list[bytes]]) -> None:
    appliance, messages = filled

    async def read_all() -> list[str]:
        closed = asyncio.Event()
        # IMAP4_SSL does not pass conn_lost_cb on; IMAP4 with an ssl_context is the same
        # client. Waiting for the close lets the TLS transport finish before the loop ends.
        client = aioimaplib.IMAP4(
            "127.0.0.1",
            appliance.ports["imaps"],
            ssl_context=appliance.client_tls(),
            timeout=30,
            conn_lost_cb=lambda _error: closed.set(),
        )
        await client.wait_hello_from_server()
        assert (await client.login(ADDRESS, PASSWORD)).result == "OK"
        assert (await client.select("INBOX")).result == "OK"
        outcomes = []
        for number in range(1, len(messages) + 1):
            response = await client.fetch(str(number), "(BODY.PEEK[])")
            outcomes.append(response.result)
        await client.logout()
        await asyncio.wait_for(closed.wait(), 10)  # the server closes after BYE
        return outcomes

    assert asyncio.run(read_all()) == ["OK"] * len(messages)
