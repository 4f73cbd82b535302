"""Compose, reply and forward: messages built, delivered and copied to Sent."""

from __future__ import annotations

import email
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default

import httpx
from sqlalchemy import select

from appliance.models import AuditEntry
from appliance.store.types import AccountInfo
from tests.conftest import CORPUS
from tests.harness import RunningAppliance
from tests.webmail.conftest import ADDRESS, OTHER, WebClient, deliver, folder_ids
from webmail.composing import Draft, build_message

NO_FILE = ("", b"", "application/octet-stream")
PDF = b"%PDF-1.4\n% t\xe1\xbb\x9d tr\xc3\xacnh\n%%EOF\n"
ERROR = re.compile(r'<p class="error" role="alert">(.*?)</p>')
SIZE_NOW = re.compile(r'<form [^>]*data-base-size="(\d+)"')
SIZE_TEXT = re.compile(r'<p id="size-now" [^>]*>([^<]*)</p>')
# make_msgid writes a random number of up to 19 digits into each Message-ID.
MESSAGE_ID_SPREAD = 19
TOO_LARGE = re.compile(
    r"Thư quá lớn \((\d+,\d) KB\); giới hạn là 19,5 KB\. Hãy bớt tệp đính kèm\. "
    r"Vui lòng chọn lại tệp đính kèm\."
)


def stored(appliance: RunningAppliance, account: AccountInfo, folder: str) -> list[EmailMessage]:
    """Return the messages of a folder, parsed, by UID."""
    folder_id = folder_ids(appliance, account)[folder]
    infos = appliance.call(lambda: appliance.core.store.messages(folder_id))
    found = []
    for info in infos:
        raw = appliance.call(lambda info=info: appliance.core.store.read(info.blob_key))
        parsed = email.message_from_bytes(raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def send(
    web: WebClient, fields: dict[str, str], files: Sequence[tuple[str, bytes, str]] = ()
) -> httpx.Response:
    """Post the compose form as a browser does: multipart, with an empty file input if none."""
    token = web.csrf("/compose")
    uploads = [("attachment", item) for item in files] or [("attachment", NO_FILE)]
    return web.post("/compose", data={"csrf_token": token, **fields}, files=uploads)


def test_compose_with_attachment_delivered_and_saved(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    recipient = appliance.add_account(OTHER, display_name="Trần Thị Bích Ngọc")

    response = send(
        signed_in,
        {
            "to": f"Trần Thị Bích Ngọc <{OTHER}>",
            "subject": "Tờ trình số 126",
            "body": "Kính gửi chị,\nEm gửi tờ trình.",
        },
        [("Tờ trình số 126.pdf", PDF, "application/pdf")],
    )

    assert response.status_code == 303
    inbox = folder_ids(appliance, account)["INBOX"]
    assert response.headers["location"] == f"/folder/{inbox}?notice=sent&count=1"
    received = stored(appliance, recipient, "INBOX")
    sent = stored(appliance, account, "Sent")
    assert len(received) == 1
    assert len(sent) == 1
    message = received[0]
    assert str(message["From"]) == f"Nguyễn Văn An <{ADDRESS}>"
    assert str(message["To"]) == f"Trần Thị Bích Ngọc <{OTHER}>"
    assert str(message["Subject"]) == "Tờ trình số 126"
    assert message["Message-ID"].endswith("@hue.gov.vn>")
    assert message["Date"] is not None
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content() == "Kính gửi chị,\r\nEm gửi tờ trình.\r\n"
    attachments = list(message.iter_attachments())
    assert [part.get_filename() for part in attachments] == ["Tờ trình số 126.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == PDF
    assert sent[0]["Message-ID"] == message["Message-ID"]


def test_headers_are_7bit_encoded(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    recipient = appliance.add_account(OTHER)

    send(
        signed_in,
        {"to": OTHER, "subject": "Giấy mời", "body": "Mời dự họp."},
        [("Lịch họp.ics", b"BEGIN:VCALENDAR\r\n", "text/calendar")],
    )

    folder_id = folder_ids(appliance, recipient)["INBOX"]
    info = appliance.call(lambda: appliance.core.store.messages(folder_id))[0]
    raw = appliance.call(lambda: appliance.core.store.read(info.blob_key))
    header = raw.split(b"\r\n\r\n", 1)[0]
    assert header.isascii()
    assert b"From: =?utf-8?b?Tmd1eeG7hW4gVsSDbiBBbg==?= <nvan.skhcn@hue.gov.vn>\r\n" in header
    assert b"Subject: =?utf-8?b?R2nhuqV5IG3hu51p?=\r\n" in header
    assert b"filename*=utf-8''L%E1%BB%8Bch%20h%E1%BB%8Dp.ics" in raw


def test_bcc_not_in_header(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    to = appliance.add_account(OTHER)
    hidden = appliance.add_account("an.danh@hue.gov.vn")

    send(signed_in, {"to": OTHER, "bcc": "an.danh@hue.gov.vn", "subject": "Bcc", "body": "x"})

    for account_info in (to, hidden):
        messages = stored(appliance, account_info, "INBOX")
        assert len(messages) == 1
        assert messages[0]["Bcc"] is None
        assert "an.danh" not in messages[0].as_string()


def test_reply_sets_threading_headers(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    original = (CORPUS / "vietnamese" / "02-alternative-attachment.eml").read_bytes()
    original = original.replace(
        b"From: =?utf-8?q?Nguy=E1=BB=85n_V=C4=83n?= An <nvan.skhcn@hue.gov.vn>",
        f"From: Ngoc <{OTHER}>".encode(),
    )
    deliver(appliance, original)
    recipient = appliance.add_account(OTHER)
    inbox = folder_ids(appliance, account)["INBOX"]

    form = signed_in.get(f"/compose?mode=reply&folder={inbox}&uid=1").text
    response = send(
        signed_in,
        {
            "to": f"Ngoc <{OTHER}>",
            "subject": "Re: Báo cáo tình hình ứng dụng CNTT quý IV năm 2026",
            "body": "Đã nhận.",
            "in_reply_to": "<179639741418.19217.2552722417299709128.vn5@hue.gov.vn>",
            "references": "<179639741418.19217.2552722417299709128.vn5@hue.gov.vn>",
            "mode": "reply",
            "source": f"{inbox}:1",
        },
    )

    assert (
        'name="in_reply_to" value="&lt;179639741418.19217.2552722417299709128.vn5@hue.gov.vn&gt;"'
        in form
    )
    assert f'name="to" type="text" value="Ngoc &lt;{OTHER}&gt;"' in form
    assert 'value="Re: Báo cáo tình hình ứng dụng CNTT quý IV năm 2026"' in form
    assert "&gt; Em gửi báo cáo quý IV theo tệp đính kèm." in form
    assert response.status_code == 303
    reply = stored(appliance, recipient, "INBOX")[0]
    assert reply["In-Reply-To"] == "<179639741418.19217.2552722417299709128.vn5@hue.gov.vn>"
    assert reply["References"] == "<179639741418.19217.2552722417299709128.vn5@hue.gov.vn>"
    flags = appliance.call(lambda: appliance.core.store.messages(inbox))[0].flags
    assert "\\Answered" in flags


def test_reply_all_copies_other_recipients(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    message = EmailMessage()
    message["From"] = f"Trần Thị Bích Ngọc <{OTHER}>"
    message["To"] = f"Nguyễn Văn An <{ADDRESS}>, Lê Đức Thọ <ldtho.skhcn@hue.gov.vn>"
    message["Cc"] = "vyda@hue.gov.vn"
    message["Subject"] = "Re: Họp"
    message.set_content("Mời anh chị.")
    deliver(appliance, message.as_bytes())
    inbox = folder_ids(appliance, account)["INBOX"]

    form = signed_in.get(f"/compose?mode=reply_all&folder={inbox}&uid=1").text

    assert f'name="to" type="text" value="Trần Thị Bích Ngọc &lt;{OTHER}&gt;"' in form
    assert (
        'name="cc" type="text" value="Lê Đức Thọ &lt;ldtho.skhcn@hue.gov.vn&gt;, vyda@hue.gov.vn"'
    ) in form
    assert 'name="subject" type="text" value="Re: Họp"' in form


def test_forward_includes_original_attachments(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(
        appliance, (CORPUS / "vietnamese" / "05-csv-docx-vietnamese-filenames.eml").read_bytes()
    )
    recipient = appliance.add_account(OTHER)
    inbox = folder_ids(appliance, account)["INBOX"]

    form = signed_in.get(f"/compose?mode=forward&folder={inbox}&uid=1").text
    response = send(
        signed_in,
        {
            "to": OTHER,
            "subject": "Fwd: Đề nghị",
            "body": "Chuyển chị.",
            "mode": "forward",
            "source": f"{inbox}:1",
        },
        [("Ghi chú.txt", "Ghi chú".encode(), "text/plain")],
    )

    assert "<li>Danh sách đề nghị cấp hộp thư.csv</li><li>Tờ trình số 125-TTr.docx</li>" in form
    assert response.status_code == 303
    forwarded = stored(appliance, recipient, "INBOX")[0]
    names = [part.get_filename() for part in forwarded.iter_attachments()]
    assert names == ["Ghi chú.txt", "Danh sách đề nghị cấp hộp thư.csv", "Tờ trình số 125-TTr.docx"]


def test_too_large_rejected_before_sending(small_appliance: RunningAppliance) -> None:
    account = small_appliance.add_account(ADDRESS, display_name="Nguyễn Văn An")
    recipient = small_appliance.add_account(OTHER)
    web = WebClient(small_appliance)
    web.login()

    response = send(
        web,
        {"to": OTHER, "subject": "Lớn", "body": "x"},
        [("lon.bin", bytes(16_000), "application/octet-stream")],
    )

    assert response.status_code == 400
    errors = ERROR.findall(response.text)
    assert len(errors) == 1
    found = TOO_LARGE.fullmatch(errors[0])
    assert found is not None, errors[0]
    assert float(found.group(1).replace(",", ".")) > 19.5
    assert 'name="subject" type="text" value="Lớn"' in response.text
    assert stored(small_appliance, recipient, "INBOX") == []
    assert stored(small_appliance, account, "Sent") == []
    [(service, rule, who, detail)] = refusals(small_appliance)
    assert (service, rule, who) == ("webmail", "message_size", ADDRESS)
    # 16,000 bytes in base64 lines of 76 characters are 21,756 bytes before any header.
    assert int(detail.removeprefix("size=")) > 21_756
    web.close()


def refusals(appliance: RunningAppliance) -> list[tuple[str, str, str, str]]:
    async def read() -> list[tuple[str, str, str, str]]:
        async with appliance.core.sessions() as session:
            rows = await session.scalars(select(AuditEntry).where(AuditEntry.event == "refused"))
            return [(row.service, row.outcome, row.account, row.detail) for row in rows]

    return appliance.call(read)


def test_form_shows_encoded_size(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    """The size on the form is the size of the message that the same fields send."""
    appliance.add_account(OTHER)
    form = signed_in.get(f"/compose?to={OTHER}").text
    found = SIZE_NOW.search(form)
    assert found is not None
    shown = int(found.group(1))
    assert SIZE_TEXT.findall(form) == [
        f"Dung lượng thư khi gửi, kể cả phần mã hóa: {shown} B, tối đa 50 MB."
    ]

    assert send(signed_in, {"to": OTHER, "subject": "", "body": ""}).status_code == 303

    sent_folder = folder_ids(appliance, account)["Sent"]
    [sent] = appliance.call(lambda: appliance.core.store.messages(sent_folder))
    assert abs(sent.size - shown) <= MESSAGE_ID_SPREAD


def test_invalid_and_unknown_recipients(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    invalid = send(signed_in, {"to": "khong-hop-le", "subject": "a", "body": "b"})
    unknown = send(signed_in, {"to": "khong.co@hue.gov.vn", "subject": "a", "body": "b"})
    empty = send(signed_in, {"to": "", "subject": "a", "body": "b"})

    assert invalid.status_code == 400
    assert ERROR.findall(invalid.text) == ["Địa chỉ không hợp lệ: khong-hop-le"]
    assert ERROR.findall(unknown.text) == ["Không có hộp thư nào có địa chỉ khong.co@hue.gov.vn."]
    assert ERROR.findall(empty.text) == ["Hãy nhập ít nhất một người nhận."]
    assert stored(appliance, account, "Sent") == []


def test_malformed_addresses_refused(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    for address in ("x@hue.gov.vn.", "a..b@hue.gov.vn", "x@a-.gov.vn"):
        response = send(signed_in, {"to": address, "subject": "a", "body": "b"})
        assert (response.status_code, ERROR.findall(response.text)) == (
            400,
            [f"Địa chỉ không hợp lệ: {address}"],
        )
    assert stored(appliance, account, "Sent") == []


def test_sending_limit_explained(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    """The 101st message in 30 minutes locks the account, and the form explains the lock."""
    appliance.add_account(OTHER)
    for number in range(100):
        raw = f"From: {ADDRESS}\r\nTo: {OTHER}\r\nSubject: {number}\r\n\r\nx\r\n".encode()
        appliance.call(
            lambda raw=raw: appliance.core.submission.submit(account, ADDRESS, [OTHER], raw)
        )

    response = send(signed_in, {"to": OTHER, "subject": "101", "body": "b"})

    assert response.status_code == 400
    assert ERROR.findall(response.text) == [
        "Tài khoản của bạn đã gửi quá 100 thư trong 30 phút nên đã bị tạm khóa theo quy định "
        "của thành phố. Trung tâm điều hành và quản trị viên của đơn vị đã được thông báo; "
        "hãy liên hệ họ để mở khóa."
    ]


def test_compose_without_csrf_rejected(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    recipient = appliance.add_account(OTHER)

    response = signed_in.post(
        "/compose",
        data={"to": OTHER, "subject": "a", "body": "b"},
        files=[("attachment", NO_FILE)],
    )

    assert response.status_code == 403
    assert stored(appliance, recipient, "INBOX") == []


def test_long_headers_keep_spaces() -> None:
    subject = "Re: V/v triển khai Quy định sử dụng hệ thống thư điện tử công vụ"
    name = "Phòng Văn hóa - Xã hội xã Phú Lộc thành phố Huế, tỉnh Thừa Thiên Huế"
    draft = Draft(to=f'"{name}" <vhxh.phuloc@hue.gov.vn>, {OTHER}', subject=subject, body="x")
    sender = AccountInfo(1, ADDRESS, name, "personal", "active")

    message, recipients = build_message(
        sender, draft, [], domain="hue.gov.vn", now=datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)

    assert recipients == ["vhxh.phuloc@hue.gov.vn", OTHER]
    assert str(parsed["Subject"]) == subject
    assert parsed["From"].addresses[0].display_name == name
    assert [item.display_name for item in parsed["To"].addresses] == [name, ""]
    assert str(parsed["Date"]) == "Fri, 04 Dec 2026 16:00:00 +0700"
    assert message.as_bytes().split(b"\r\n\r\n", 1)[0].isascii()
