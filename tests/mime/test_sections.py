"""FETCH body sections cut out of a stored message (RFC 3501 section 6.4.5)."""

from __future__ import annotations

import pytest

from appliance.mime import SectionSpec, find_part, header_fields, parse_structure, section_bytes
from appliance.mime.sections import SectionText

INNER_HEADER = (
    b"From: inner@hue.gov.vn\r\n"
    b"Subject: Inner\r\n"
    b"Content-Type: multipart/alternative; boundary=inner\r\n"
    b"\r\n"
)
INNER_BODY = (
    b"--inner\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n"
    b"--inner\r\nContent-Type: text/html\r\n\r\n<b>inner</b>\r\n"
    b"--inner--"
)
ROOT_HEADER = (
    b"From: a@hue.gov.vn\r\n"
    b"To: b@hue.gov.vn\r\n"
    b"Subject: Sections\r\n"
    b"X-Folded: one\r\n two\r\n"
    b"Content-Type: multipart/mixed; boundary=outer\r\n"
    b"\r\n"
)
ROOT_BODY = (
    b"--outer\r\nContent-Type: text/plain\r\n\r\nPart one\r\n"
    b"--outer\r\nContent-Type: message/rfc822\r\n\r\n" + INNER_HEADER + INNER_BODY + b"\r\n"
    b"--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: Simple\r\n\r\nsimple body\r\n"
    b"--outer--\r\n"
)
RAW = ROOT_HEADER + ROOT_BODY
STRUCTURE = parse_structure(RAW)

SECTION_CASES = [
    ((), "", (), RAW),
    ((), "HEADER", (), ROOT_HEADER),
    ((), "TEXT", (), ROOT_BODY),
    ((), "MIME", (), b""),
    ((1,), "", (), b"Part one"),
    ((1,), "MIME", (), b"Content-Type: text/plain\r\n\r\n"),
    ((1,), "HEADER", (), b""),
    ((1, 1), "", (), b""),
    ((2,), "", (), INNER_HEADER + INNER_BODY),
    ((2,), "MIME", (), b"Content-Type: message/rfc822\r\n\r\n"),
    ((2,), "HEADER", (), INNER_HEADER),
    ((2,), "TEXT", (), INNER_BODY),
    ((2, 1), "", (), b"inner plain"),
    ((2, 2), "", (), b"<b>inner</b>"),
    ((2, 2), "MIME", (), b"Content-Type: text/html\r\n\r\n"),
    ((2, 3), "", (), b""),
    ((3,), "HEADER", (), b"Subject: Simple\r\n\r\n"),
    ((3,), "TEXT", (), b"simple body"),
    ((3, 1), "", (), b"simple body"),
    ((3, 1), "MIME", (), b"Subject: Simple\r\n\r\n"),
    ((3, 2), "", (), b""),
    ((4,), "", (), b""),
    ((0,), "", (), b""),
    (
        (),
        "HEADER.FIELDS",
        ("subject", "FROM", "x-folded"),
        b"From: a@hue.gov.vn\r\nSubject: Sections\r\nX-Folded: one\r\n two\r\n\r\n",
    ),
    (
        (),
        "HEADER.FIELDS.NOT",
        ("From", "To", "Content-Type"),
        b"Subject: Sections\r\nX-Folded: one\r\n two\r\n\r\n",
    ),
    ((), "HEADER.FIELDS", ("X-Missing",), b"\r\n"),
    ((2,), "HEADER.FIELDS", ("Subject",), b"Subject: Inner\r\n\r\n"),
    (
        (2,),
        "HEADER.FIELDS.NOT",
        ("Content-Type",),
        b"From: inner@hue.gov.vn\r\nSubject: Inner\r\n\r\n",
    ),
    ((1,), "HEADER.FIELDS", ("Content-Type",), b""),
]


@pytest.mark.parametrize(("part", "text", "fields", "expected"), SECTION_CASES)
def test_section_bytes(
    part: tuple[int, ...], text: SectionText, fields: tuple[str, ...], expected: bytes
) -> None:
    spec = SectionSpec(part, text, fields)
    assert section_bytes(RAW, STRUCTURE, spec) == expected


def test_section_spec_defaults() -> None:
    assert SectionSpec() == SectionSpec((), "", ())


def test_single_part_message_sections() -> None:
    raw = b"Subject: single\n\nonly body\n"
    structure = parse_structure(raw)
    assert section_bytes(raw, structure, SectionSpec((1,))) == b"only body\n"
    assert section_bytes(raw, structure, SectionSpec((1,), "MIME")) == b"Subject: single\n\n"
    assert section_bytes(raw, structure, SectionSpec((2,))) == b""
    fields = SectionSpec((), "HEADER.FIELDS", ("subject",))
    assert section_bytes(raw, structure, fields) == b"Subject: single\n\n"


def test_top_level_message_rfc822() -> None:
    raw = b"Content-Type: message/rfc822\r\n\r\nSubject: wrapped\r\n\r\ninside\r\n"
    structure = parse_structure(raw)
    assert section_bytes(raw, structure, SectionSpec((1,))) == (
        b"Subject: wrapped\r\n\r\ninside\r\n"
    )
    assert section_bytes(raw, structure, SectionSpec((1,), "HEADER")) == (
        b"Subject: wrapped\r\n\r\n"
    )
    assert section_bytes(raw, structure, SectionSpec((1, 1))) == b"inside\r\n"


def test_header_fields_without_final_line_ending() -> None:
    raw = b"Subject: no ending"
    structure = parse_structure(raw)
    spec = SectionSpec((), "HEADER.FIELDS", ("Subject",))
    assert section_bytes(raw, structure, spec) == b"Subject: no ending\r\n\r\n"


def test_header_fields_not_keeps_malformed_lines() -> None:
    raw = b"From MAILER-DAEMON Fri Apr 06 16:46:09 2001\r\nSubject: x\r\n\r\n"
    structure = parse_structure(raw)
    spec = SectionSpec((), "HEADER.FIELDS.NOT", ("Subject",))
    assert section_bytes(raw, structure, spec) == (
        b"From MAILER-DAEMON Fri Apr 06 16:46:09 2001\r\n\r\n"
    )


def test_find_part() -> None:
    root = STRUCTURE.root
    assert find_part(STRUCTURE, ()) is root
    assert find_part(STRUCTURE, (1,)) is root.children[0]
    attached = root.children[1]
    assert find_part(STRUCTURE, (2,)) is attached
    assert attached.message is not None
    assert find_part(STRUCTURE, (2, 2)) is attached.message.children[1]
    assert find_part(STRUCTURE, (2, 2, 1)) is None


def test_header_fields() -> None:
    assert header_fields(RAW, STRUCTURE.root) == [
        ("From", "a@hue.gov.vn"),
        ("To", "b@hue.gov.vn"),
        ("Subject", "Sections"),
        ("X-Folded", "one two"),
        ("Content-Type", "multipart/mixed; boundary=outer"),
    ]
    attached = STRUCTURE.root.children[1]
    assert attached.message is not None
    assert header_fields(RAW, attached.message) == [
        ("From", "inner@hue.gov.vn"),
        ("Subject", "Inner"),
        ("Content-Type", "multipart/alternative; boundary=inner"),
    ]


def test_header_fields_8bit() -> None:
    raw = b"Subject: Gi\xe1\xba\xa5y m\xe1\xbb\x9di h\xe1\xbb\x8dp\r\nX-Bad: \xff\r\n\r\n"
    structure = parse_structure(raw)
    assert header_fields(raw, structure.root) == [
        ("Subject", "Giấy mời họp"),
        ("X-Bad", "\udcff"),
    ]
