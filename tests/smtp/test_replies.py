"""SMTP reply text is printable US-ASCII (RFC 5321 section 4.2), whatever its source."""

from __future__ import annotations

import pytest

from appliance import errors
from appliance.directory.naming import LegacyEncoding
from appliance.errors import ApplianceError
from smtp import replies

PRINTABLE = {9, *range(32, 127)}  # HT, SP and the printable ASCII characters


def is_reply_text(text: str) -> bool:
    return all(ord(character) in PRINTABLE for character in text)


def every_error_class() -> list[type[ApplianceError]]:
    found: list[type[ApplianceError]] = []
    pending = [ApplianceError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def instance(cls: type[ApplianceError]) -> ApplianceError:
    if cls is errors.VirusFound:
        return errors.VirusFound("Eicar-Test-Signature")
    if cls is LegacyEncoding:
        return LegacyEncoding("Hu\u00ea\u0301", "TCVN3")
    if cls is errors.PasswordRejected:
        return errors.PasswordRejected(["password.too_short"], "Mật khẩu quá ngắn")
    return cls()


def test_error_classes_are_all_found() -> None:
    names = {cls.__name__ for cls in every_error_class()}
    assert {"SendingLimitReached", "PasswordExpired", "VirusFound", "MailboxFull"} <= names


@pytest.mark.parametrize("cls", every_error_class(), ids=lambda cls: cls.__name__)
def test_error_reply_is_ascii(cls: type[ApplianceError]) -> None:
    reply = replies.of_error(instance(cls))
    assert is_reply_text(reply), reply


def test_fixed_replies_are_ascii() -> None:
    fixed = [v for name, v in vars(replies).items() if name.isupper() and isinstance(v, str)]
    fixed.extend(replies.AIOSMTPD_REPLIES.values())
    assert len(fixed) > 20
    for reply in fixed:
        assert is_reply_text(reply), reply


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("550 5.7.1 Sent", "550 5.7.1 Sent"),
        (
            "(Vượt giới hạn gửi thư: tài khoản đã bị khóa)",
            "(Vuot gioi han gui thu: tai khoan da bi khoa)",
        ),
        ("Đà Nẵng, Huế", "Da Nang, Hue"),
        ("ﬁle\ttab", "file\ttab"),
        ("中\x01\x7f", "???"),
    ],
)
def test_ascii_text_folds(text: str, folded: str) -> None:
    assert replies.ascii_text(text) == folded
