"""Real clients over real sockets: imaplib, imapclient and aioimaplib."""

from __future__ import annotations

import asyncio
import imaplib
import logging
import socket

import aioimaplib
import imapclient
import pytest

from tests.harness import DEFAULT_PASSWORD
from tests.imap.conftest import ADDRESS, ImapAppliance

ASCII_ADDRESS = "binh.tran@hue.gov.vn"
ASCII_PASSWORD = "Hue-Secret-2026!x"
MESSAGE = b"From: a@example.org\r\nTo: an.nguyen@hue.gov.vn\r\nSubject: hello\r\n\r\nbody\r\n"


def plain_auth(user: str, password: str) -> imapclient.IMAPClient:
    return lambda _challenge: f"\0{user}\0{password}".encode()  # type: ignore[return-value]


def test_imaplib_starttls_authenticate(imap_appliance: ImapAppliance) -> None:
    client = imaplib.IMAP4("127.0.0.1", imap_appliance.ports["imap"])
    assert "LOGINDISABLED" in client.capabilities
    assert "STARTTLS" in client.capabilities
    assert client.starttls(ssl_context=imap_appliance.client_tls())[0] == "OK"
    assert "AUTH=PLAIN" in client.capabilities
    assert "LOGINDISABLED" not in client.capabilities
    status, data = client.authenticate("PLAIN", plain_auth(ADDRESS, DEFAULT_PASSWORD))
    assert status == "OK"
    assert data[0].startswith(b"[CAPABILITY IMAP4rev1 ")
    assert client.append("INBOX", r"(\Flagged)", None, MESSAGE)[0] == "OK"
    assert client.select("INBOX") == ("OK", [b"1"])
    status, fetched = client.fetch("1", "(FLAGS BODY.PEEK[])")
    assert status == "OK"
    assert fetched[0][0] == b"1 (FLAGS (\\Flagged) BODY[] {%d}" % len(MESSAGE)
    assert fetched[0][1] == MESSAGE
    assert client.logout()[0] == "BYE"


def test_imaplib_login_refused_before_tls(imap_appliance: ImapAppliance) -> None:
    client = imaplib.IMAP4("127.0.0.1", imap_appliance.ports["imap"])
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
        client.login(ADDRESS, "anything")
    client.logout()


def test_imaplib_implicit_tls_login(imap_appliance: ImapAppliance) -> None:
    imap_appliance.add_account(ASCII_ADDRESS, ASCII_PASSWORD)
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", imap_appliance.ports["imaps"], ssl_context=imap_appliance.client_tls()
    )
    assert "AUTH=PLAIN" in client.capabilities
    assert client.login(ASCII_ADDRESS, ASCII_PASSWORD)[0] == "OK"
    status, folders = client.list()
    assert status == "OK"
    assert folders[0] == b'(\\HasNoChildren) "/" "INBOX"'
    assert b'(\\HasNoChildren \\Sent) "/" "Sent"' in folders
    client.logout()


def test_imapclient_folders_and_search(imap_appliance: ImapAppliance) -> None:
    client = imapclient.IMAPClient(
        "127.0.0.1", imap_appliance.ports["imaps"], ssl_context=imap_appliance.client_tls()
    )
    client.plain_login(ADDRESS, DEFAULT_PASSWORD)
    client.create_folder("Công văn đến/Khẩn")
    assert "Công văn đến/Khẩn" in [name for _, _, name in client.list_folders()]
    client.append("Công văn đến/Khẩn", MESSAGE, flags=[b"$Urgent"])
    client.select_folder("Công văn đến/Khẩn")
    assert client.search(["SUBJECT", "HELLO"]) == [1]
    assert client.get_flags([1]) == {1: (b"$Urgent",)}
    client.add_flags([1], [imapclient.SEEN])
    status = client.folder_status("Công văn đến/Khẩn", ["MESSAGES", "UNSEEN"])
    assert status == {b"MESSAGES": 1, b"UNSEEN": 0}
    client.move([1], "Archive")
    assert client.folder_status("Archive", ["MESSAGES"]) == {b"MESSAGES": 1}
    assert client.search(["ALL"]) == []
    client.logout()


async def test_aioimaplib_session(imap_appliance: ImapAppliance) -> None:
    imap_appliance.add_account(ASCII_ADDRESS, ASCII_PASSWORD)
    closed = asyncio.Event()
    # IMAP4_SSL does not pass conn_lost_cb on; IMAP4 with an ssl_context is the same client.
    client = aioimaplib.IMAP4(
        "127.0.0.1",
        imap_appliance.ports["imaps"],
        ssl_context=imap_appliance.client_tls(),
        conn_lost_cb=lambda _error: closed.set(),
    )
    await client.wait_hello_from_server()
    response = await client.login(ASCII_ADDRESS, ASCII_PASSWORD)
    assert response.result == "OK"
    response = await client.append(MESSAGE, mailbox="INBOX", flags=r"(\Seen)")
    assert response.result == "OK"
    response = await client.select("INBOX")
    assert response.result == "OK"
    assert b"1 EXISTS" in response.lines
    response = await client.uid("fetch", "1", "(UID RFC822.SIZE)")
    assert response.result == "OK"
    assert response.lines[0] == b"1 FETCH (UID 1 RFC822.SIZE %d)" % len(MESSAGE)
    response = await client.logout()
    assert response.result == "OK"
    await asyncio.wait_for(closed.wait(), 10)  # the server closes the connection after BYE


def test_password_never_logged(
    imap_appliance: ImapAppliance, caplog: pytest.LogCaptureFixture
) -> None:
    imap_appliance.add_account(ASCII_ADDRESS, ASCII_PASSWORD)
    caplog.set_level(logging.DEBUG, logger="imap")
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", imap_appliance.ports["imaps"], ssl_context=imap_appliance.client_tls()
    )
    client.login(ASCII_ADDRESS, ASCII_PASSWORD)
    client.logout()
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", imap_appliance.ports["imaps"], ssl_context=imap_appliance.client_tls()
    )
    client.authenticate("PLAIN", plain_auth(ASCII_ADDRESS, ASCII_PASSWORD))
    client.append("INBOX", None, None, MESSAGE)
    client.logout()
    messages = [record.getMessage() for record in caplog.records if record.name == "imap"]
    assert any("C: " in text and "LOGIN <masked>" in text for text in messages)
    assert any(text.endswith("C: <masked>") for text in messages)
    assert any("command id=" in text and "name=APPEND outcome=OK" in text for text in messages)
    secret_forms = (ASCII_PASSWORD, "SGVlLVNlY3JldC0yMDI2IXg", "body\r\n")
    for text in messages:
        for secret in secret_forms:
            assert secret not in text


def test_plain_socket_bad_input_keeps_connection(imap_appliance: ImapAppliance) -> None:
    with (
        socket.create_connection(("127.0.0.1", imap_appliance.ports["imap"]), 5) as sock,
        sock.makefile("rwb") as stream,
    ):
        assert stream.readline().startswith(b"* OK [CAPABILITY IMAP4rev1")
        stream.write(b"a1 \x00\xff junk\r\na2 NOOP\r\na3 LOGOUT\r\n")
        stream.flush()
        assert stream.readline() == b"a1 BAD Expected an atom at '\\x00\\xff junk'\r\n"
        assert stream.readline() == b"a2 OK NOOP completed\r\n"
        assert stream.readline() == b"* BYE Logging out\r\n"
        assert stream.readline() == b"a3 OK LOGOUT completed\r\n"
