"""Address lists, Content-Type values, RFC 2231 parameters and header field splitting."""

from __future__ import annotations

import pytest

from appliance.mime.addresses import GROUP_END, parse_address_list
from appliance.mime.content import (
    decode_extended,
    merge_continuations,
    param_value,
    parse_typed_value,
)
from appliance.mime.headers import RawField, split_fields, unfold_value
from appliance.mime.structure import Address

ADDRESS_CASES = [
    ("a@hue.gov.vn", (Address(None, None, "a", "hue.gov.vn"),)),
    (
        '"Nguyễn, Văn A" <a@hue.gov.vn>',
        (Address("Nguyễn, Văn A", None, "a", "hue.gov.vn"),),
    ),
    ("Lê Thị B <b@hue.gov.vn>", (Address("Lê Thị B", None, "b", "hue.gov.vn"),)),
    ('"quoted \\" name" <q@x.vn>', (Address('quoted " name', None, "q", "x.vn"),)),
    ("c@x.vn (Trần C)", (Address("Trần C", None, "c", "x.vn"),)),
    ("John (middle) Doe <j@x.vn>", (Address("John Doe", None, "j", "x.vn"),)),
    ("John Q. Public <jqp@x.vn>", (Address("John Q. Public", None, "jqp", "x.vn"),)),
    ("=?utf-8?B?VsSDbg==?= <v@x.vn>", (Address("=?utf-8?B?VsSDbg==?=", None, "v", "x.vn"),)),
    ('"john doe"@x.vn', (Address(None, None, '"john doe"', "x.vn"),)),
    ("john . doe @ x . vn", (Address(None, None, "john.doe", "x.vn"),)),
    ("<user@[10.0.0.1]>", (Address(None, None, "user", "[10.0.0.1]"),)),
    ("<@relay1,@relay2:user@x.vn>", (Address(None, "@relay1,@relay2", "user", "x.vn"),)),
    (
        "undisclosed-recipients:;",
        (Address(None, None, "undisclosed-recipients", None), GROUP_END),
    ),
    (
        "Phòng A: a@x.vn, b@x.vn;, c@x.vn",
        (
            Address(None, None, "Phòng A", None),
            Address(None, None, "a", "x.vn"),
            Address(None, None, "b", "x.vn"),
            GROUP_END,
            Address(None, None, "c", "x.vn"),
        ),
    ),
    ("Moderator <moderator>", (Address("Moderator", None, "moderator", ""),)),
    ("postmaster", (Address(None, None, "postmaster", ""),)),
    ("<>", (Address(None, None, "", ""),)),
    ("a@x.vn,, ,b@x.vn", (Address(None, None, "a", "x.vn"), Address(None, None, "b", "x.vn"))),
    ("a@x.vn b@y.vn", (Address(None, None, "a", "x.vn"), Address(None, None, "b", "y.vn"))),
    ("a@x.vn <a@x.vn>", (Address("a@x.vn", None, "a", "x.vn"),)),
    ("<a@x.vn garbage>", (Address(None, None, "a", "x.vn"),)),
    ('"unterminated <u@x.vn>', (Address(None, None, '"unterminated <u@x.vn>', ""),)),
    (";;; @@@ >>> ...", ()),
    ("<<< >", (Address(None, None, "", ""),)),
    ("", ()),
]


@pytest.mark.parametrize(("text", "expected"), ADDRESS_CASES)
def test_address_list(text: str, expected: tuple[Address, ...]) -> None:
    assert parse_address_list(text) == expected


def test_address_list_none() -> None:
    assert parse_address_list(None) == ()


CONTENT_TYPE_CASES = [
    ("text/plain", ("text", "plain", ())),
    ("TEXT/Plain; CHARSET=UTF-8", ("text", "plain", (("charset", "UTF-8"),))),
    ('text/plain; charset="utf-8"', ("text", "plain", (("charset", "utf-8"),))),
    ("text/plain (comment (nested)); charset=x", ("text", "plain", (("charset", "x"),))),
    ('a/b; x="q\\"uote"', ("a", "b", (("x", 'q"uote'),))),
    ('a/b; x="semi;colon"; y=1', ("a", "b", (("x", "semi;colon"), ("y", "1")))),
    ("a/b; name=two words.pdf", ("a", "b", (("name", "two words.pdf"),))),
    (
        "multipart/mixed; boundary==_Part_0=:1",
        ("multipart", "mixed", (("boundary", "=_Part_0=:1"),)),
    ),
    ("a/b;; bare; =x; y=", ("a", "b", (("y", ""),))),
    ("a/b; x*=utf-8'vi'%C3%A1", ("a", "b", (("x*", "utf-8'vi'%C3%A1"),))),
    ("a/b; x*0=abc; x*1=def", ("a", "b", (("x", "abcdef"),))),
    ("a/b; x*1=def; x*0=abc", ("a", "b", (("x", "abcdef"),))),
    ("a/b; x*0*=utf-8''%C3; x*1=\" b\"", ("a", "b", (("x*", "utf-8''%C3%20b"),))),
    ("a/b; x*0=a b; x*1*=%C3%A1", ("a", "b", (("x*", "''a%20b%C3%A1"),))),
    ("text", None),
    ("text/", None),
    ("/plain", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), CONTENT_TYPE_CASES)
def test_content_type(text: str, expected: tuple[str, str, tuple[tuple[str, str], ...]]) -> None:
    assert parse_typed_value(text, True) == expected


def test_disposition_has_no_subtype() -> None:
    assert parse_typed_value('Attachment; filename="a.pdf"', False) == (
        "attachment",
        "",
        (("filename", "a.pdf"),),
    )


def test_merge_keeps_order_of_first_section() -> None:
    params = [("a", "1"), ("n*0", "x"), ("b", "2"), ("n*1", "y")]
    assert merge_continuations(params) == (("a", "1"), ("n", "xy"), ("b", "2"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("utf-8''B%C3%A1o%20c%C3%A1o.pdf", "Báo cáo.pdf"),
        ("UTF-8'vi'Ti%E1%BA%BFng", "Tiếng"),
        ("iso-8859-1''Fr%F6sche", "Frösche"),
        ("''plain%20ascii", "plain ascii"),
        ("no-such-charset''%C3%A1", "á"),
        ("hex''%C3%A1", "á"),
        ("utf-8''%FF", "\ufffd"),
        ("no quotes at all", "no quotes at all"),
    ],
)
def test_decode_extended(value: str, expected: str) -> None:
    assert decode_extended(value) == expected


def test_param_value_prefers_extended() -> None:
    params = (("filename", "fallback.pdf"), ("filename*", "utf-8''th%E1%BA%ADt.pdf"))
    assert param_value(params, "FileName") == "thật.pdf"
    assert param_value((("filename", "plain.pdf"),), "filename") == "plain.pdf"
    assert param_value((), "filename") is None


def test_split_fields() -> None:
    block = (
        b"Subject: one\r\n two\r\n"
        b" leading\r\n"
        b"not a field\r\n"
        b"X-Empty:\r\n"
        b"Bad Name: x\r\n"
        b"To : a@b\r\n"
        b"\r\n"
        b"After: blank\r\n"
    )
    assert split_fields(block) == [
        RawField("Subject", b"Subject: one\r\n two\r\n leading\r\n"),
        RawField(None, b"not a field\r\n"),
        RawField("X-Empty", b"X-Empty:\r\n"),
        RawField(None, b"Bad Name: x\r\n"),
        RawField("To", b"To : a@b\r\n"),
    ]


def test_split_fields_continuation_first() -> None:
    assert split_fields(b" orphan\r\nA: b") == [
        RawField(None, b" orphan\r\n"),
        RawField("A", b"A: b"),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Subject: a\r\n b\r\n\tc\r\n", "a b\tc"),
        (b"Subject:   spaced  \r\n", "spaced  "),
        (b"Subject:\n folded only\n", "folded only"),
        (b"Subject: lone\rcr\r\n", "lone\rcr"),
        (b"Subject: Th\xc3\xb4ng b\xc3\xa1o\r\n", "Thông báo"),
        (b"Subject: \xff\r\n", "\udcff"),
    ],
)
def test_unfold_value(raw: bytes, expected: str) -> None:
    assert unfold_value(raw) == expected
