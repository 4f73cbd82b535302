"""Delivery status notifications (RFC 3464) for bounces and delay notices.

A DSN is a multipart/report with a human-readable part (Vietnamese, then English), the
machine-readable message/delivery-status part, and the original message's header as
text/rfc822-headers. It is sent with the null reverse path, so it never bounces itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, make_msgid

from appliance.delivery import header_block

CRLF = "\r\n"


@dataclass(frozen=True)
class FailedRecipient:
    recipient: str
    status: str  # enhanced status code, e.g. "5.1.1"
    diagnostic: str  # the remote reply, e.g. "550 5.1.1 User unknown"
    remote: str
    diagnostic_type: str = "smtp"  # RFC 3464 2.3.6: "smtp" for a remote reply, else an X- type


def build_dsn(
    *,
    original: bytes,
    sender: str,
    failed: list[FailedRecipient],
    action: str,
    hostname: str,
    postmaster: str,
    arrival: datetime,
    now: datetime,
) -> bytes:
    """Return a DSN for `failed` recipients; `action` is "failed" or "delayed"."""
    boundary = "=_dsn_" + secrets.token_hex(12)
    subject = (
        "Undelivered Mail Returned to Sender / Thư không gửi được"
        if action == "failed"
        else "Delayed Mail (still being retried) / Thư đang chờ gửi lại"
    )
    human = _human_text(failed, action)
    per_message = f"Reporting-MTA: dns; {hostname}\r\nArrival-Date: {format_datetime(arrival)}\r\n"
    per_recipient = "".join(
        "\r\n"
        f"Final-Recipient: rfc822; {item.recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {item.status}\r\n"
        + (f"Remote-MTA: dns; {item.remote}\r\n" if item.remote else "")
        + f"Diagnostic-Code: {item.diagnostic_type}; {_one_line(item.diagnostic)}\r\n"
        for item in failed
    )
    headers = header_block(original).rstrip(b"\r\n") + b"\r\n"
    parts = [
        f"From: Mail Delivery System <{postmaster}>\r\n".encode(),
        f"To: <{sender}>\r\n".encode(),
        f"Subject: {Header(subject, 'utf-8').encode(linesep=CRLF)}\r\n".encode(),
        f"Date: {format_datetime(now)}\r\n".encode(),
        f"Message-ID: {make_msgid(domain=hostname)}\r\n".encode(),
        b"Auto-Submitted: auto-replied\r\n",
        b"MIME-Version: 1.0\r\n",
        (
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            f'\tboundary="{boundary}"\r\n\r\n'
        ).encode(),
        f"--{boundary}\r\n".encode(),
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        human.encode() + b"\r\n",
        f"--{boundary}\r\n".encode(),
        b"Content-Type: message/delivery-status\r\n\r\n",
        (per_message + per_recipient).encode() + b"\r\n",
        f"--{boundary}\r\n".encode(),
        b"Content-Type: text/rfc822-headers\r\n\r\n",
        # The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1), so one more
        # keeps the header block's own last line ending.
        headers + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts)


def _human_text(failed: list[FailedRecipient], action: str) -> str:
    listing = "\r\n".join(f"  <{item.recipient}>: {_one_line(item.diagnostic)}" for item in failed)
    if action == "failed":
        return (
            "Thư của bạn không gửi được tới các địa chỉ sau:\r\n"
            f"{listing}\r\n\r\nYour message could not be delivered to:\r\n{listing}\r\n"
        )
    return (
        "Thư của bạn chưa gửi được và hệ thống sẽ tiếp tục thử lại tới các địa chỉ sau:\r\n"
        f"{listing}\r\n\r\nYour message is delayed; delivery is still being tried to:\r\n"
        f"{listing}\r\n"
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:900]
