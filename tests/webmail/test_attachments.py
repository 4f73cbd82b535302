"""Attachment downloads: decoded file names, exact bytes, safe headers."""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from email.policy import SMTP

from appliance.store.types import AccountInfo
from tests.conftest import CORPUS
from tests.harness import RunningAppliance
from tests.webmail.conftest import WebClient, deliver, folder_ids

ATTACHMENT_LINK = re.compile(r'<a href="(/folder/\d+/\d+/part/\d+)" download>([^<]*)</a>')
CSV_BYTES = (
    "Họ và tên,Chức vụ,Ngày tuyển dụng\r\n"
    "Hoàng Thị Thu Hà,Chuyên viên,01/11/2026\r\n"
    "Nguyễn Phúc Bảo Long,Chuyên viên,01/11/2026\r\n"
    "Phan Đình Đức,Cán bộ,15/11/2026\r\n"
).encode()


def docx_bytes() -> bytes:
    """Decode the .docx part of the corpus file with base64 alone, without the email package."""
    text = (CORPUS / "vietnamese" / "05-csv-docx-vietnamese-filenames.eml").read_text()
    after_header = text.split("filename*=utf-8''T%E1%BB%9D%20tr%C3%ACnh", 1)[1].split("\n\n", 1)[1]
    encoded = after_header.split("--=====", 1)[0]
    return base64.b64decode("".join(encoded.split()))


def links(web: WebClient, path: str) -> dict[str, str]:
    page = web.get(path).text
    return {name: href for href, name in ATTACHMENT_LINK.findall(page)}


def test_rfc2231_vietnamese_file_names(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(
        appliance, (CORPUS / "vietnamese" / "05-csv-docx-vietnamese-filenames.eml").read_bytes()
    )
    inbox = folder_ids(appliance, account)["INBOX"]

    found = links(signed_in, f"/folder/{inbox}/1")
    download = signed_in.get(found["Danh sách đề nghị cấp hộp thư.csv"])

    assert sorted(found) == ["Danh sách đề nghị cấp hộp thư.csv", "Tờ trình số 125-TTr.docx"]
    assert download.status_code == 200
    assert download.content == CSV_BYTES
    assert download.headers["content-disposition"] == (
        'attachment; filename="Danh sach de nghi cap hop thu.csv"; '
        "filename*=UTF-8''Danh%20s%C3%A1ch%20%C4%91%E1%BB%81%20ngh%E1%BB%8B%20c%E1%BA%A5p"
        "%20h%E1%BB%99p%20th%C6%B0.csv"
    )
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["x-content-type-options"] == "nosniff"


def test_docx_bytes_and_name(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(
        appliance, (CORPUS / "vietnamese" / "05-csv-docx-vietnamese-filenames.eml").read_bytes()
    )
    inbox = folder_ids(appliance, account)["INBOX"]

    download = signed_in.get(links(signed_in, f"/folder/{inbox}/1")["Tờ trình số 125-TTr.docx"])

    assert download.content == docx_bytes()
    assert download.content[:4] == b"PK\x03\x04"
    assert download.headers["content-disposition"] == (
        'attachment; filename="To trinh so 125-TTr.docx"; '
        "filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh%20s%E1%BB%91%20125-TTr.docx"
    )


def test_rfc2047_file_name_and_active_type(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    message = EmailMessage(policy=SMTP)
    message["From"] = "a@hue.gov.vn"
    message["Subject"] = "Tệp"
    message.set_content("Xem tệp.")
    message.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html")
    raw = message.as_bytes().replace(
        b"Content-Disposition: attachment",
        b'Content-Disposition: attachment; filename="=?utf-8?b?QsOhbyBjw6FvLmh0bWw=?="',
    )
    deliver(appliance, raw)
    inbox = folder_ids(appliance, account)["INBOX"]

    found = links(signed_in, f"/folder/{inbox}/1")
    download = signed_in.get(found["Báo cáo.html"])

    assert list(found) == ["Báo cáo.html"]
    assert download.content == b"<script>alert(1)</script>"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"Bao cao.html\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o.html"
    )
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_attached_message_named_after_subject(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, (CORPUS / "vietnamese" / "03-forwarded-rfc822.eml").read_bytes())
    inbox = folder_ids(appliance, account)["INBOX"]

    found = links(signed_in, f"/folder/{inbox}/1")
    download = signed_in.get(found["Giấy mời họp giao ban tháng 12.eml"])

    assert list(found) == ["Giấy mời họp giao ban tháng 12.eml"]
    assert download.headers["content-type"] == "message/rfc822"
    assert download.content.startswith(
        b"From: =?utf-8?b?VsSDbiBwaMOybmcgVUJORCB0aMOgbmggcGjhu5E=?="
    )
    assert b"S8OtbmggbeG7nWkgbMOjbmggxJHhuqFvIFPhu58gZOG7sSBo4buNcCBnaWFvIGJhbiBsw7pjIDE0" in (
        download.content
    )


def test_unknown_part_not_found(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, (CORPUS / "vietnamese" / "01-plain-qp.eml").read_bytes())
    inbox = folder_ids(appliance, account)["INBOX"]

    assert signed_in.get(f"/folder/{inbox}/1/part/0").status_code == 404
    assert signed_in.get(f"/folder/{inbox}/1/part/7").status_code == 404
