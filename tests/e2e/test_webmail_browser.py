"""The webmail in a real Chromium: read a Vietnamese message, reply with an attachment.

The reply is then checked over IMAP, as a mail client would see it: in the sender's Sent
folder and in the recipient's INBOX.
"""

from __future__ import annotations

import email
import imaplib
import os
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.conftest import CORPUS
from tests.harness import DEFAULT_PASSWORD, RunningAppliance

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READER = "vyda@hue.gov.vn"
SENDER = "skhcn@hue.gov.vn"
SUBJECT = "V/v triển khai Quy định sử dụng hệ thống thư điện tử công vụ"
ATTACHMENT_NAME = "Báo cáo rà soát.txt"
ATTACHMENT = "Đã rà soát 12 hộp thư.\n".encode()


def fetch_all(appliance: RunningAppliance, address: str, folder: str) -> list[EmailMessage]:
    """Return every message of a folder, fetched over IMAP with implicit TLS."""
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls()
    )
    try:
        # AUTHENTICATE PLAIN (RFC 4616) carries the UTF-8 password; imaplib's LOGIN is ASCII only.
        credentials = f"\0{address}\0{DEFAULT_PASSWORD}".encode()
        client.authenticate("PLAIN", lambda _challenge: credentials)
        status, _ = client.select(folder, readonly=True)
        assert status == "OK"
        _, data = client.uid("SEARCH", "ALL")
        found = []
        for uid in data[0].split():
            _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = parts[0][1]
            assert isinstance(raw, bytes)
            message = email.message_from_bytes(raw, policy=default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        return found
    finally:
        client.logout()


def test_read_and_reply_with_attachment(appliance: RunningAppliance, tmp_path: Path) -> None:
    appliance.add_account(READER, display_name="Phường Vỹ Dạ")
    appliance.add_account(SENDER, display_name="Sở Khoa học và Công nghệ")
    raw = (CORPUS / "vietnamese" / "01-plain-qp.eml").read_bytes()
    appliance.call(lambda: appliance.core.delivery.deliver(raw, SENDER, [READER]))
    upload = tmp_path / ATTACHMENT_NAME
    upload.write_bytes(ATTACHMENT)
    shots = Path(os.environ.get("WEBMAIL_SCREENSHOTS", tmp_path))
    base = f"http://127.0.0.1:{appliance.ports['http']}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(f"{base}/login")
            page.fill("#username", READER)
            page.fill("#password", DEFAULT_PASSWORD)
            page.click("button[type=submit].primary")
            page.wait_for_selector("table.messages")
            assert page.inner_text("main h1") == "Hộp thư đến"
            page.screenshot(path=str(shots / "inbox.png"), full_page=True)

            page.click(f"text={SUBJECT}")
            page.wait_for_selector("h1.subject")
            assert page.inner_text("h1.subject") == SUBJECT
            assert page.inner_text("dd.from") == "Sở Khoa học và Công nghệ <skhcn@hue.gov.vn>"
            page.screenshot(path=str(shots / "reading.png"), full_page=True)

            page.click("text=Trả lời")
            page.wait_for_selector("form.compose")
            assert page.input_value("#to") == "Sở Khoa học và Công nghệ <skhcn@hue.gov.vn>"
            assert page.input_value("#subject") == f"Re: {SUBJECT}"
            page.locator("#body").press("Control+Home")
            page.locator("#body").type("Phường Vỹ Dạ đã rà soát xong.")
            page.set_input_files("#attachment", str(upload))
            page.click("form.compose button[type=submit]")
            page.wait_for_selector("p.notice")
            assert page.inner_text("p.notice") == "Đã gửi thư."
        finally:
            browser.close()

    sent = fetch_all(appliance, READER, "Sent")
    received = fetch_all(appliance, SENDER, "INBOX")
    assert len(sent) == 1
    assert len(received) == 1
    for message in (sent[0], received[0]):
        assert str(message["Subject"]) == f"Re: {SUBJECT}"
        assert message["In-Reply-To"] == ("<179639741417.19217.5764680160934036647.vn2@hue.gov.vn>")
        assert str(message["From"]) == f"Phường Vỹ Dạ <{READER}>"
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        assert body.get_content().startswith("Phường Vỹ Dạ đã rà soát xong.")
        attachments = list(message.iter_attachments())
        assert [part.get_filename() for part in attachments] == [ATTACHMENT_NAME]
        assert attachments[0].get_content() == ATTACHMENT.decode()
