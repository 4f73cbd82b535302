"""Reporting suspicious mail from a desktop client: MOVE into the report folder over IMAP.

The report folder exists in every account. A message moved there is sent, unchanged, as a
message/rfc822 attachment to the intake mailbox tiepnhan@, and moved on to Junk.
"""

from __future__ import annotations

import email
import imaplib
import time
from email.message import EmailMessage
from email.policy import default

from imap.mutf7 import encode
from tests.harness import RunningAppliance

READER = "nvan.skhcn@hue.gov.vn"
INTAKE = "tiepnhan@hue.gov.vn"
# An ASCII password, because imaplib's LOGIN sends only ASCII.
PASSWORD = "Report-Folder-2026!"
REPORT_FOLDER = "Báo cáo thư đáng ngờ"
ORIGINAL = (
    b"From: =?utf-8?b?VHLGsOG7n25nIHBow7JuZw==?= <truongphong@example.net>\r\n"
    b"To: nvan.skhcn@hue.gov.vn\r\n"
    b"Subject: =?utf-8?q?X=C3=A1c_nh=E1=BA=ADn_m=E1=BA=ADt_kh=E1=BA=A9u?=\r\n"
    b"Message-ID: <phish-1@example.net>\r\n"
    b"Date: Mon, 02 Mar 2026 08:00:00 +0700\r\n"
    b"X-Odd-Header:   spaces kept   \r\n"
    b"\r\n"
    b"Nh\xe1\xba\xa5p v\xc3\xa0o li\xc3\xaan k\xe1\xba\xbft \xc4\x91\xe1\xbb\x83 gi\xe1\xbb\xaf "
    b"h\xe1\xbb\x99p th\xc6\xb0.\r\n"
)


def imap_client(appliance: RunningAppliance, address: str) -> imaplib.IMAP4_SSL:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls()
    )
    client.login(address, PASSWORD)
    return client


def folder_messages(appliance: RunningAppliance, address: str, folder: str) -> list[bytes]:
    async def read() -> list[bytes]:
        core = appliance.core
        account = await core.accounts.get(address)
        found = await core.store.folder(account.id, folder)
        return [
            await core.store.read(info.blob_key) for info in await core.store.messages(found.id)
        ]

    return appliance.call(read)


def wait_for_junk(appliance: RunningAppliance) -> None:
    """Wait up to five seconds for the reported message to reach Junk, the last step."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not folder_messages(appliance, READER, "Junk"):
        time.sleep(0.05)


def original_part(raw: bytes, boundary: str) -> bytes:
    """Return the body of the report's second part, as bytes, between its header and the
    closing delimiter (RFC 2046 section 5.1.1)."""
    segments = raw.split(b"--" + boundary.encode())
    assert len(segments) == 4  # preamble, text part, attached message, "--" and epilogue
    return segments[2].partition(b"\r\n\r\n")[2]


def test_report_folder_listed(appliance: RunningAppliance) -> None:
    appliance.add_account(READER, PASSWORD)
    client = imap_client(appliance, READER)
    try:
        status, lines = client.list('""', '"B*"')
    finally:
        client.logout()
    assert status == "OK"
    assert lines == [b'(\\HasNoChildren) "/" "' + encode(REPORT_FOLDER).encode() + b'"']


def test_move_into_report_folder(appliance: RunningAppliance) -> None:
    appliance.add_account(READER, PASSWORD)
    appliance.add_account(INTAKE, PASSWORD, kind="service")
    client = imap_client(appliance, READER)
    try:
        assert client.append("INBOX", None, None, ORIGINAL)[0] == "OK"
        assert client.select("INBOX")[0] == "OK"
        status, _ = client.uid("MOVE", "1", f'"{encode(REPORT_FOLDER)}"')
        assert status == "OK"
    finally:
        client.logout()

    wait_for_junk(appliance)
    reports = folder_messages(appliance, INTAKE, "INBOX")

    assert len(reports) == 1
    report = email.message_from_bytes(reports[0], policy=default)
    assert isinstance(report, EmailMessage)
    assert report["From"] == "nvan.skhcn@hue.gov.vn"
    assert report["To"] == INTAKE
    assert report["Subject"] == "[Báo cáo thư đáng ngờ] Xác nhận mật khẩu"
    attached = [part for part in report.iter_attachments()]
    assert [part.get_content_type() for part in attached] == ["message/rfc822"]
    assert original_part(reports[0], report.get_boundary() or "") == ORIGINAL
    assert folder_messages(appliance, READER, "Junk") == [ORIGINAL]
    assert folder_messages(appliance, READER, REPORT_FOLDER) == []
    assert folder_messages(appliance, READER, "INBOX") == []
