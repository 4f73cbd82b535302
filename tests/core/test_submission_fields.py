"""Message-ID and Date added on submission when missing (RFC 6409 8.2, 8.3), and Return-Path."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from appliance.core import Core
from appliance.store.types import AccountInfo
from appliance.submission import complete_header

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
MESSAGE_ID = re.compile(rb"Message-ID: <[^@>\s]+@mail\.hue\.gov\.vn>")


def test_both_fields_added_at_header_end() -> None:
    completed = complete_header(
        b"From: a@hue.gov.vn\r\nSubject: x\r\n\r\nbody\r\n", "mail.hue.gov.vn", NOW
    )
    lines = completed.split(b"\r\n")
    assert lines[:2] == [b"From: a@hue.gov.vn", b"Subject: x"]
    assert MESSAGE_ID.fullmatch(lines[2])
    assert lines[3] == b"Date: Mon, 02 Mar 2026 01:30:00 +0000"
    assert lines[4:] == [b"", b"body", b""]


def test_present_fields_left_alone() -> None:
    raw = b"Message-ID: <x@example.org>\r\ndate: Mon, 2 Mar 2026 08:00:00 +0700\r\n\r\nbody\r\n"
    assert complete_header(raw, "mail.hue.gov.vn", NOW) is raw


def test_lf_only_message_keeps_its_line_ending() -> None:
    completed = complete_header(b"Subject: x\n\nbody\n", "mail.hue.gov.vn", NOW)
    assert completed.startswith(b"Subject: x\nMessage-ID: <")
    assert completed.endswith(b"\nDate: Mon, 02 Mar 2026 01:30:00 +0000\n\nbody\n")


def test_header_only_message() -> None:
    completed = complete_header(b"Subject: x", "mail.hue.gov.vn", NOW)
    assert completed.startswith(b"Subject: x\r\nMessage-ID: <")
    assert completed.endswith(b"\r\nDate: Mon, 02 Mar 2026 01:30:00 +0000\r\n")


def test_body_field_names_do_not_count() -> None:
    completed = complete_header(b"Subject: x\r\n\r\nDate: in the body\r\n", "h.example", NOW)
    assert b"\r\nDate: Mon, 02 Mar 2026" in completed.split(b"\r\n\r\n")[0]


async def test_submitted_copy_gets_return_path(core: Core, account: AccountInfo) -> None:
    other = await core.accounts.create("tthi.stttt@hue.gov.vn", "Mật-khẩu-2026!")
    raw = b"From: nvan.skhcn@hue.gov.vn\r\nSubject: x\r\n\r\nbody\r\n"
    await core.submission.submit(account, account.address, [other.address], raw, save_copy=True)
    inbox = await core.store.folder(other.id, "INBOX")
    [received] = await core.store.messages(inbox.id)
    stored = await core.store.read(received.blob_key)
    assert stored.startswith(
        b"Return-Path: <nvan.skhcn@hue.gov.vn>\r\nFrom: nvan.skhcn@hue.gov.vn\r\n"
    )
    assert MESSAGE_ID.search(stored)
    sent = await core.store.folder(account.id, "Sent")
    [copy] = await core.store.messages(sent.id)
    sent_bytes = await core.store.read(copy.blob_key)
    assert sent_bytes == stored.removeprefix(b"Return-Path: <nvan.skhcn@hue.gov.vn>\r\n")
