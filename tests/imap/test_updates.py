"""Several sessions on one mailbox, and IDLE woken by deliveries (RFC 3501 7.4.1, RFC 2177)."""

from __future__ import annotations

import imaplib

import imapclient

from tests.harness import DEFAULT_PASSWORD
from tests.imap.conftest import ADDRESS, ImapAppliance

MESSAGE = b"From: a@example.org\r\nTo: an.nguyen@hue.gov.vn\r\nSubject: update\r\n\r\nbody\r\n"
IDLE_BOUND = 5  # seconds before a missing push counts as a failure (not a speed check)


def connect(appliance: ImapAppliance) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls(), timeout=10
    )
    client.plain_login(ADDRESS, DEFAULT_PASSWORD)
    return client


def deliver(appliance: ImapAppliance) -> None:
    appliance.call(lambda: appliance.core.delivery.deliver(MESSAGE, "a@example.org", [ADDRESS]))


def test_two_sessions_see_each_other(imap_appliance: ImapAppliance) -> None:
    first = connect(imap_appliance)
    second = connect(imap_appliance)
    first.select_folder("INBOX")
    second.append("INBOX", MESSAGE)
    assert first.noop()[1] == [(1, b"EXISTS")]
    second.select_folder("INBOX")
    second.add_flags([1], [imapclient.FLAGGED], silent=True)
    assert first.noop()[1] == [(1, b"FETCH", (b"FLAGS", (b"\\Flagged",)))]
    second.add_flags([1], [imapclient.DELETED], silent=True)
    second.expunge()
    assert first.noop()[1] == [(1, b"EXPUNGE")]
    assert first.search(["ALL"]) == []
    first.logout()
    second.logout()


def test_expunge_waits_until_allowed(imap_appliance: ImapAppliance) -> None:
    """No EXPUNGE during FETCH, STORE or SEARCH; the message keeps its number until NOOP."""
    writer = connect(imap_appliance)
    for _ in range(2):
        writer.append("INBOX", MESSAGE)
    reader = imaplib.IMAP4_SSL(
        "127.0.0.1", imap_appliance.ports["imaps"], ssl_context=imap_appliance.client_tls()
    )
    reader.authenticate("PLAIN", lambda _: f"\0{ADDRESS}\0{DEFAULT_PASSWORD}".encode())
    assert reader.select("INBOX") == ("OK", [b"2"])
    writer.select_folder("INBOX")
    writer.delete_messages([1])
    writer.expunge()
    status, data = reader.fetch("2", "(UID)")
    assert (status, data) == ("OK", [b"2 (UID 2)"])
    assert "EXPUNGE" not in reader.untagged_responses
    status, data = reader.search(None, "ALL")
    assert (status, data) == ("OK", [b"2"])
    assert "EXPUNGE" not in reader.untagged_responses
    reader.noop()
    assert reader.untagged_responses.get("EXPUNGE") == [b"1"]
    reader.untagged_responses.clear()
    status, data = reader.fetch("1", "(UID)")
    assert (status, data) == ("OK", [b"1 (UID 2)"])
    reader.logout()
    writer.logout()


def test_idle_woken_by_delivery(imap_appliance: ImapAppliance) -> None:
    client = connect(imap_appliance)
    client.select_folder("INBOX")
    client.idle()
    deliver(imap_appliance)
    assert client.idle_check(timeout=IDLE_BOUND) == [(1, b"EXISTS")]
    other = connect(imap_appliance)
    other.select_folder("INBOX")
    other.add_flags([1], [imapclient.SEEN])
    assert client.idle_check(timeout=IDLE_BOUND) == [(1, b"FETCH", (b"FLAGS", (b"\\Seen",)))]
    other.delete_messages([1])
    other.expunge()
    responses = client.idle_check(timeout=IDLE_BOUND)
    if responses and responses[0][1] == b"FETCH":
        responses += client.idle_check(timeout=IDLE_BOUND)
    assert responses[-1] == (1, b"EXPUNGE")
    text, _ = client.idle_done()
    assert text == b"IDLE terminated"
    other.logout()
    client.logout()


def test_idle_without_mailbox_ends_on_done(imap_appliance: ImapAppliance) -> None:
    client = connect(imap_appliance)
    client.idle()
    assert client.idle_check(timeout=0.2) == []
    assert client.idle_done() == (b"IDLE terminated", [])
    client.logout()
