"""Reading messages: decoded headers, bodies, \\Seen, fallbacks and the message frame."""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.policy import SMTP

from appliance.store.types import AccountInfo
from tests.conftest import CORPUS
from tests.harness import RunningAppliance
from tests.webmail.conftest import WebClient, deliver, folder_ids

SUBJECT = re.compile(r'<h1 class="subject">(.*?)</h1>')
BODY_TEXT = re.compile(r'<pre class="body-text">(.*?)</pre>', re.DOTALL)

HOSTILE_HTML = """<html><head><style>body{background:url(https://track.example/s.png)}</style>
<script>alert(1)</script></head><body>
<p onclick="steal()">Xin chào</p>
<img src="https://track.example/pixel.png" alt="pixel">
<img src="http://track.example/a.png" onerror="alert(2)">
<img src="cid:logo@hue" alt="logo">
<a href="javascript:alert(3)">bấm</a>
<a href="https://hue.gov.vn/" target="_self">Cổng</a>
<form action="https://evil.example"><input name="p"><button>OK</button></form>
<div style="position:fixed;top:0;color:red;background-image:url(https://track.example/b.png)">x</div>
<iframe src="https://evil.example/f"></iframe><svg onload="alert(4)"></svg>
</body></html>"""
LOGO = b"\x89PNG\r\n\x1a\nfake"
FRAME_START = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<meta name="referrer" content="no-referrer"><base target="_blank"><style>'
)
SANITIZED_BLOCKED = (
    "<body>\n\n<p>Xin chào</p>\n"
    '<img alt="pixel">\n'
    "<img>\n"
    '<img src="data:image/png;base64,iVBORw0KGgpmYWtl" alt="logo">\n'
    '<a target="_blank" rel="noopener noreferrer">bấm</a>\n'
    '<a href="https://hue.gov.vn/" target="_blank" rel="noopener noreferrer">Cổng</a>\n'
    "OK\n"
    '<div style="color:red">x</div>\n\n\n</body></html>'
)
SANITIZED_ALLOWED = SANITIZED_BLOCKED.replace(
    '<img alt="pixel">\n<img>',
    '<img src="https://track.example/pixel.png" alt="pixel">\n'
    '<img src="https://track.example/a.png">',
)


def hostile_message() -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = "a@hue.gov.vn"
    message["To"] = "nvan.skhcn@hue.gov.vn"
    message["Subject"] = "Thư HTML"
    message.set_content("Xin chào")
    message.add_alternative(HOSTILE_HTML, subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(LOGO, maintype="image", subtype="png", cid="<logo@hue>")
    return message.as_bytes()


def test_read_vietnamese_subject_and_mark_seen(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, (CORPUS / "vietnamese" / "01-plain-qp.eml").read_bytes())
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}/1")

    assert page.status_code == 200
    assert SUBJECT.findall(page.text) == [
        "V/v triển khai Quy định sử dụng hệ thống thư điện tử công vụ"
    ]
    assert '<dd class="from">Sở Khoa học và Công nghệ &lt;skhcn@hue.gov.vn&gt;</dd>' in page.text
    assert '<dd class="to">Phường Vỹ Dạ &lt;vyda@hue.gov.vn&gt;</dd>' in page.text
    body = BODY_TEXT.findall(page.text)
    assert len(body) == 1
    assert body[0].startswith("Kính gửi: Ủy ban nhân dân phường Vỹ Dạ\n\nSở Khoa học")
    assert body[0].endswith("Trân trọng./.\n")
    flags = appliance.call(lambda: appliance.core.store.messages(inbox))[0].flags
    assert flags == frozenset({"\\Seen"})


def test_plain_text_is_escaped(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    message = EmailMessage(policy=SMTP)
    message["From"] = "a@hue.gov.vn"
    message["Subject"] = "<b>đậm</b>"
    message.set_content('<script>alert("x")</script> & <b>')
    deliver(appliance, message.as_bytes())
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}/1").text

    assert SUBJECT.findall(page) == ["&lt;b&gt;đậm&lt;/b&gt;"]
    assert BODY_TEXT.findall(page) == [
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;\n"
    ]
    assert "<script>" not in page


def test_nfd_text_shown_composed(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, (CORPUS / "vietnamese" / "06-nfd-decomposed-text.eml").read_bytes())
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}/1").text

    assert SUBJECT.findall(page) == ["Kế hoạch tổ chức Festival Huế 2026 – góp ý lần 2"]
    assert BODY_TEXT.findall(page) == [
        "Góp ý: bổ sung điểm đón khách tại Đại Nội và bến thuyền Tòa Khâm.\n"
    ]


def test_html_shown_in_sandboxed_frame(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, hostile_message())
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}/1").text

    assert (
        '<iframe class="body" title="Nội dung thư"\n'
        '            sandbox="allow-popups allow-popups-to-escape-sandbox"\n'
        f'            src="/folder/{inbox}/1/body"></iframe>'
    ) in page
    assert "Đã chặn 2 hình ảnh từ bên ngoài" in page
    assert f'<a href="/folder/{inbox}/1?images=1">Hiển thị hình ảnh</a>' in page
    assert "track.example" not in page
    assert "alert" not in page


def test_html_sanitized_remote_images_blocked(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, hostile_message())
    inbox = folder_ids(appliance, account)["INBOX"]

    frame = signed_in.get(f"/folder/{inbox}/1/body")

    assert frame.status_code == 200
    assert frame.headers["content-security-policy"] == (
        "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )
    assert frame.headers["x-frame-options"] == "SAMEORIGIN"
    assert frame.text.startswith(FRAME_START)
    assert frame.text.endswith(SANITIZED_BLOCKED)
    for forbidden in ("script", "alert", "onerror", "onclick", "javascript:", "<form", "track"):
        assert forbidden not in frame.text.lower()


def test_show_images_allows_https(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    deliver(appliance, hostile_message())
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}/1?images=1").text
    frame = signed_in.get(f"/folder/{inbox}/1/body?images=1")

    assert f'src="/folder/{inbox}/1/body?images=1"></iframe>' in page
    assert "Đã chặn" not in page
    assert "img-src data: cid: https:;" in frame.headers["content-security-policy"]
    assert frame.text.endswith(SANITIZED_ALLOWED)


def test_unknown_charset_note(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    raw = (
        b"From: a@hue.gov.vn\r\nSubject: charset\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="x-khong-ro"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\nTi\xe1\xba\xbfng Vi\xe1\xbb\x87t\r\n"
    )
    deliver(appliance, raw)
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}/1").text

    assert '<p class="note">Thư dùng bảng mã không xác định;' in page
    assert BODY_TEXT.findall(page) == ["Tiếng Việt\n"]


def test_deep_nesting_shows_raw_text(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    depth = 30
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
        for level in range(depth)
    )
    closing = "".join(f"\r\n--b{level}--\r\n" for level in reversed(range(depth)))
    raw = (
        "From: a@hue.gov.vn\r\nSubject: sâu\r\nMIME-Version: 1.0\r\n"
        + opening
        + "Content-Type: text/plain\r\n\r\ntận cùng"
        + closing
    ).encode()
    deliver(appliance, raw)
    inbox = folder_ids(appliance, account)["INBOX"]

    page = signed_in.get(f"/folder/{inbox}/1")

    assert page.status_code == 200
    assert '<p class="note">Không thể hiển thị thư này theo định dạng thông thường' in page.text
    shown = [html.unescape(text) for text in BODY_TEXT.findall(page.text)]
    assert shown == [raw.decode().replace("\r\n", "\n")]


def test_missing_message_not_found(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    inbox = folder_ids(appliance, account)["INBOX"]

    assert signed_in.get(f"/folder/{inbox}/99").status_code == 404
    assert signed_in.get(f"/folder/{inbox}/99/body").status_code == 404
