"""Reporting suspicious mail, marking spam and taking messages back from Junk."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

from appliance.store.types import AccountInfo
from tests.harness import RunningAppliance
from tests.webmail.conftest import WebClient, deliver, folder_ids

INTAKE = "tiepnhan@hue.gov.vn"
# Sent as written: 8-bit header bytes, an odd header spacing and a bare LF body line, which
# a parse and re-serialise would change.
ORIGINAL = (
    b"From: Ng\xc6\xb0\xe1\xbb\x9di l\xe1\xba\xa1 <lure@example.net>\r\n"
    b"To: nvan.skhcn@hue.gov.vn\r\n"
    b"Subject:   =?utf-8?q?T=C3=A0i_kho=E1=BA=A3n_s=E1=BA=AFp_b=E1=BB=8B_kh=C3=B3a?=\r\n"
    b"Message-ID: <lure-7@example.net>\r\n"
    b"Date: Tue, 03 Mar 2026 09:00:00 +0700\r\n"
    b"\r\n"
    b"Nh\xe1\xba\xa5n v\xc3\xa0o \xc4\x91\xc3\xa2y.\nhttp://example.net/x\r\n"
)


def stored(appliance: RunningAppliance, account_id: int, folder: str) -> list[bytes]:
    async def read() -> list[bytes]:
        core = appliance.core
        found = await core.store.folder(account_id, folder)
        return [
            await core.store.read(info.blob_key) for info in await core.store.messages(found.id)
        ]

    return appliance.call(read)


def attached_original(raw: bytes) -> bytes:
    """Return the body of the report's message/rfc822 part, byte for byte."""
    report = email.message_from_bytes(raw, policy=default)
    assert isinstance(report, EmailMessage)
    boundary = report.get_boundary()
    assert boundary is not None
    segments = raw.split(b"--" + boundary.encode())
    assert len(segments) == 4
    header, _, body = segments[2].partition(b"\r\n\r\n")
    assert b"Content-Type: message/rfc822" in header
    return body


def test_report_button_sends_original(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    intake = appliance.add_account(INTAKE, kind="service")
    deliver(appliance, ORIGINAL)
    ids = folder_ids(appliance, account)
    page = signed_in.get(f"/folder/{ids['INBOX']}/1").text
    assert f'<form method="post" action="/folder/{ids["INBOX"]}/1/report" class="report">' in page
    assert "Báo cáo thư đáng ngờ</button>" in page

    response = signed_in.post(
        f"/folder/{ids['INBOX']}/1/report", data={"csrf_token": signed_in.csrf_of(page)}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/folder/{ids['INBOX']}?notice=reported&count=1"
    listing = signed_in.get(response.headers["location"]).text
    assert "Đã báo cáo thư đáng ngờ và chuyển vào Thư rác. Cảm ơn bạn." in listing
    reports = stored(appliance, intake.id, "INBOX")
    assert len(reports) == 1
    assert attached_original(reports[0]) == ORIGINAL
    assert stored(appliance, account.id, "Junk") == [ORIGINAL]
    assert stored(appliance, account.id, "INBOX") == []


def test_report_needs_csrf(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    intake = appliance.add_account(INTAKE, kind="service")
    deliver(appliance, ORIGINAL)
    inbox = folder_ids(appliance, account)["INBOX"]

    response = signed_in.post(f"/folder/{inbox}/1/report", data={"csrf_token": "wrong"})
    missing = signed_in.post(
        f"/folder/{inbox}/9/report", data={"csrf_token": signed_in.csrf("/settings")}
    )

    assert response.status_code == 403
    assert missing.status_code == 404
    assert stored(appliance, intake.id, "INBOX") == []
    assert stored(appliance, account.id, "INBOX") == [ORIGINAL]


def test_report_without_intake_keeps_message(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, ORIGINAL)
    inbox = folder_ids(appliance, account)["INBOX"]

    response = signed_in.post(
        f"/folder/{inbox}/1/report", data={"csrf_token": signed_in.csrf("/settings")}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/folder/{inbox}/1?notice=report_failed"
    page = signed_in.get(response.headers["location"]).text
    assert "Chưa báo cáo được thư này." in page
    assert stored(appliance, account.id, "INBOX") == [ORIGINAL]


def test_mark_spam_and_back(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, ORIGINAL)
    ids = folder_ids(appliance, account)
    page = signed_in.get(f"/folder/{ids['INBOX']}/1").text
    assert '<button type="submit" name="action" value="spam">Đánh dấu là thư rác</button>' in page
    assert 'value="not_spam"' not in page

    to_junk = signed_in.post(
        f"/folder/{ids['INBOX']}/1/actions",
        data={"csrf_token": signed_in.csrf_of(page), "action": "spam"},
    )
    junk_page = signed_in.get(f"/folder/{ids['Junk']}/1").text
    back = signed_in.post(
        f"/folder/{ids['Junk']}/actions",
        data={"csrf_token": signed_in.csrf_of(junk_page), "action": "not_spam", "uid": "1"},
    )

    assert to_junk.headers["location"] == f"/folder/{ids['INBOX']}?notice=spam&count=1"
    assert "Đã chuyển 1 thư vào Thư rác." in signed_in.get(to_junk.headers["location"]).text
    assert '<button type="submit" name="action" value="not_spam">Không phải thư rác</button>' in (
        junk_page
    )
    assert 'value="spam"' not in junk_page
    assert back.headers["location"] == f"/folder/{ids['Junk']}?page=1&notice=not_spam&count=1"
    assert "Đã chuyển 1 thư về Hộp thư đến." in signed_in.get(back.headers["location"]).text
    assert stored(appliance, account.id, "INBOX") == [ORIGINAL]
    assert stored(appliance, account.id, "Junk") == []
