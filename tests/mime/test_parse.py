"""Hand-written messages with the exact structure, offsets and defects expected."""

from __future__ import annotations

import pytest

from appliance.mime import boundaries, headers, parse
from appliance.mime.parse import parse_structure
from appliance.mime.structure import Address, Part


def _body(raw: bytes, part: Part) -> bytes:
    return raw[part.body_start : part.end]


def _header(raw: bytes, part: Part) -> bytes:
    return raw[part.header_start : part.body_start]


def test_plain_message_offsets_and_lines() -> None:
    raw = b"Subject: Hi\r\nFrom: a@b.vn\r\n\r\nHello\r\nWorld\r\n"
    structure = parse_structure(raw)
    root = structure.root
    assert (root.header_start, root.body_start, root.end) == (0, 29, 43)
    assert (root.type, root.subtype) == ("text", "plain")
    assert root.params == (("charset", "us-ascii"),)
    assert root.encoding == "7bit"
    assert root.lines == 2
    assert root.size == 14
    assert structure.defects == ()


def test_lines_count_line_feeds_only() -> None:
    raw = b"Subject: x\n\nline one\nline two without ending"
    root = parse_structure(raw).root
    assert _body(raw, root) == b"line one\nline two without ending"
    assert root.lines == 1


def test_header_without_body() -> None:
    raw = b"Subject: only a header\r\n"
    root = parse_structure(raw).root
    assert (root.header_start, root.body_start, root.end) == (0, 24, 24)
    assert root.lines == 0


def test_empty_header() -> None:
    raw = b"\r\nbody\r\n"
    structure = parse_structure(raw)
    assert (structure.root.body_start, structure.root.end) == (2, 8)
    assert structure.envelope.subject is None


def test_empty_message() -> None:
    structure = parse_structure(b"")
    assert (structure.root.header_start, structure.root.body_start, structure.root.end) == (
        0,
        0,
        0,
    )
    assert structure.defects == ()


NESTED = (
    b"From: Tr\xc6\xb0\xe1\xbb\x9fng ph\xc3\xb2ng <truongphong@hue.gov.vn>\r\n"
    b"Content-Type: multipart/mixed; boundary=outer\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n'
    b"\r\n"
    b"--inner\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Xin ch\xc3\xa0o\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<p>Xin ch&agrave;o</p>\r\n"
    b"--inner--\r\n"
    b"--outer\r\n"
    b'Content-Type: application/pdf; name="bao-cao.pdf"\r\n'
    b'Content-Disposition: attachment; filename="bao-cao.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--outer--\r\n"
    b"epilogue\r\n"
)


def test_nested_multipart_tree() -> None:
    structure = parse_structure(NESTED)
    root = structure.root
    assert (root.type, root.subtype, root.params) == (
        "multipart",
        "mixed",
        (("boundary", "outer"),),
    )
    assert [(child.type, child.subtype) for child in root.children] == [
        ("multipart", "alternative"),
        ("application", "pdf"),
    ]
    alternative, pdf = root.children
    assert [(child.type, child.subtype) for child in alternative.children] == [
        ("text", "plain"),
        ("text", "html"),
    ]
    assert pdf.disposition == "attachment"
    assert pdf.disposition_params == (("filename", "bao-cao.pdf"),)
    assert pdf.encoding == "base64"
    assert structure.defects == ()


def test_nested_multipart_offsets() -> None:
    raw = NESTED
    root = parse_structure(raw).root
    alternative, pdf = root.children
    plain, html = alternative.children
    assert (root.header_start, root.body_start, root.end) == (0, 98, 530)
    assert _body(raw, root).startswith(b"preamble\r\n--outer\r\n")
    assert _body(raw, root).endswith(b"--outer--\r\nepilogue\r\n")
    assert alternative.header_start == 117
    assert _header(raw, alternative) == (
        b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
    )
    assert _body(raw, alternative).endswith(b"--inner--")
    assert _header(raw, plain) == (
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    assert _body(raw, plain) == b"Xin ch\xc3\xa0o"
    assert plain.lines == 0
    assert _body(raw, html) == b"<p>Xin ch&agrave;o</p>"
    assert _body(raw, pdf) == b"JVBERi0xLjQK"


def test_vietnamese_8bit_header() -> None:
    envelope = parse_structure(NESTED).envelope
    assert envelope.from_ == (Address("Trưởng phòng", None, "truongphong", "hue.gov.vn"),)
    assert envelope.sender == envelope.from_
    assert envelope.reply_to == envelope.from_


def test_invalid_utf8_header_is_surrogate_escaped() -> None:
    raw = b"Subject: Th\xf4ng b\xe1o\r\n\r\n"
    subject = parse_structure(raw).envelope.subject
    assert subject == "Th\udcf4ng b\udce1o"
    assert subject is not None
    assert subject.encode("utf-8", "surrogateescape") == b"Th\xf4ng b\xe1o"


def test_envelope_fields_and_defaults() -> None:
    raw = (
        b"Date: Mon, 2 Jun 2025 08:00:00 +0700\r\n"
        b"Subject: =?utf-8?B?VGjDtG5nIGLDoW8=?=\r\n"
        b'From: "V\xc4\x83n th\xc6\xb0" <vanthu@hue.gov.vn>\r\n'
        b"Sender: relay@hue.gov.vn\r\n"
        b"To: undisclosed-recipients:;\r\n"
        b"Cc: Ph\xc3\xb2ng A: a@hue.gov.vn, b@hue.gov.vn;, c@hue.gov.vn\r\n"
        b"In-Reply-To: <x@hue.gov.vn>\r\n"
        b"Message-ID: <y@hue.gov.vn>\r\n"
        b"\r\n"
    )
    envelope = parse_structure(raw).envelope
    assert envelope.date == "Mon, 2 Jun 2025 08:00:00 +0700"
    assert envelope.subject == "=?utf-8?B?VGjDtG5nIGLDoW8=?="
    assert envelope.in_reply_to == "<x@hue.gov.vn>"
    assert envelope.message_id == "<y@hue.gov.vn>"

    assert envelope.from_ == (Address("Văn thư", None, "vanthu", "hue.gov.vn"),)
    assert envelope.sender == (Address(None, None, "relay", "hue.gov.vn"),)
    assert envelope.reply_to == envelope.from_

    assert envelope.to == (
        Address(None, None, "undisclosed-recipients", None),
        Address(None, None, None, None),
    )

    assert envelope.cc == (
        Address(None, None, "Phòng A", None),
        Address(None, None, "a", "hue.gov.vn"),
        Address(None, None, "b", "hue.gov.vn"),
        Address(None, None, None, None),
        Address(None, None, "c", "hue.gov.vn"),
    )
    assert envelope.bcc == ()


def test_folded_subject_is_unfolded() -> None:
    raw = b"Subject: first\r\n second\r\n\tthird  \r\n\r\n"
    assert parse_structure(raw).envelope.subject == "first second\tthird  "


def test_first_field_wins() -> None:
    raw = (
        b"Subject: one\r\nSUBJECT: two\r\n"
        b"Content-Type: text/html\r\ncontent-type: image/png\r\n\r\n"
    )
    structure = parse_structure(raw)
    assert structure.envelope.subject == "one"
    assert (structure.root.type, structure.root.subtype) == ("text", "html")


def test_missing_content_type_defaults() -> None:
    raw = b"Content-Transfer-Encoding: QUOTED-PRINTABLE\r\n\r\nx=3Dy\r\n"
    root = parse_structure(raw).root
    assert (root.type, root.subtype, root.params) == ("text", "plain", (("charset", "us-ascii"),))
    assert root.encoding == "quoted-printable"


def test_invalid_content_type_defaults_with_defect() -> None:
    structure = parse_structure(b"Content-Type: text\r\n\r\nx")
    assert (structure.root.type, structure.root.subtype) == ("text", "plain")
    assert structure.defects == ("invalid Content-Type 'text', used text/plain at offset 0",)


def test_digest_children_default_to_message() -> None:
    raw = (
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n"
        b"--d\r\n\r\nSubject: first\r\n\r\none\r\n"
        b"--d\r\nContent-Type: text/plain\r\n\r\ntwo\r\n"
        b"--d--\r\n"
    )
    root = parse_structure(raw).root
    first, second = root.children
    assert (first.type, first.subtype, first.params) == ("message", "rfc822", ())
    assert first.envelope is not None
    assert first.envelope.subject == "first"
    assert first.message is not None
    assert _body(raw, first.message) == b"one"
    assert first.lines == 2
    assert (second.type, second.subtype) == ("text", "plain")


def test_message_rfc822_part() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Subject: inner\r\nFrom: x@hue.gov.vn\r\n\r\ninner body\r\nsecond\r\n"
        b"--b--\r\n"
    )
    attached = parse_structure(raw).root.children[1]
    assert (attached.type, attached.subtype) == ("message", "rfc822")
    assert _body(raw, attached) == (
        b"Subject: inner\r\nFrom: x@hue.gov.vn\r\n\r\ninner body\r\nsecond"
    )
    assert attached.lines == 4
    assert attached.envelope is not None
    assert attached.envelope.subject == "inner"
    assert attached.envelope.from_ == (Address(None, None, "x", "hue.gov.vn"),)
    assert attached.message is not None
    assert (attached.message.header_start, attached.message.end) == (
        attached.body_start,
        attached.end,
    )
    assert _body(raw, attached.message) == b"inner body\r\nsecond"


def test_rfc2231_continuations_merged() -> None:
    raw = (
        b"Content-Type: application/pdf;\r\n"
        b" name*0*=utf-8''B%C3%A1o%20c%C3%A1o;\r\n"
        b" name*1*=%20qu%C3%BD;\r\n"
        b' name*2=" 3.pdf"\r\n'
        b"Content-Disposition: attachment;\r\n"
        b' filename*0="long-";\r\n'
        b' filename*1="name.pdf"\r\n'
        b"\r\n"
    )
    root = parse_structure(raw).root
    assert root.params == (("name*", "utf-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD%203.pdf"),)
    assert root.disposition_params == (("filename", "long-name.pdf"),)


def test_params_quoted_comments_and_case() -> None:
    raw = b'Content-Type: Text/HTML (a comment) ; CharSet="UTF-8" (x) ; format = flowed\r\n\r\n'
    root = parse_structure(raw).root
    assert (root.type, root.subtype) == ("text", "html")
    assert root.params == (("charset", "UTF-8"), ("format", "flowed"))


def test_other_content_fields() -> None:
    raw = (
        b"Content-Type: image/png\r\n"
        b"Content-ID: <logo@hue.gov.vn>\r\n"
        b"Content-Description: Logo\r\n"
        b"Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
        b"Content-Language: vi, en (English)\r\n"
        b"Content-Location: logo.png\r\n"
        b"Content-Disposition: INLINE\r\n"
        b"\r\n"
    )
    root = parse_structure(raw).root
    assert root.content_id == "<logo@hue.gov.vn>"
    assert root.description == "Logo"
    assert root.md5 == "Q2hlY2sgSW50ZWdyaXR5IQ=="
    assert root.language == ("vi", "en")
    assert root.location == "logo.png"
    assert root.disposition == "inline"
    assert root.disposition_params == ()
    assert root.lines == 0


def test_boundary_with_trailing_whitespace() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b  "\r\n\r\n'
        b"--b \t\r\n\r\none\r\n"
        b"--b  \r\n\r\ntwo\r\n"
        b"--b-- \r\n"
    )
    structure = parse_structure(raw)
    assert [_body(raw, child) for child in structure.root.children] == [b"one", b"two"]
    assert structure.defects == ()


def test_boundary_must_start_a_line() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx --b\r\n--bc\r\n--b--\r\n"
    structure = parse_structure(raw)
    assert [_body(raw, child) for child in structure.root.children] == [b"x --b\r\n--bc"]


def test_missing_closing_boundary() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n"
    structure = parse_structure(raw)
    first, second = structure.root.children
    assert _body(raw, first) == b"one"
    assert _body(raw, second) == b"two\r\n"
    assert second.end == len(raw)
    assert structure.root.end == len(raw)
    assert structure.defects == ("multipart at offset 0 has no closing boundary",)


def test_missing_inner_close_ends_at_outer_boundary() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
        b"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
        b"--inner\r\n\r\nunclosed\r\n"
        b"--outer\r\n\r\nlast\r\n"
        b"--outer--\r\n"
    )
    structure = parse_structure(raw)
    alternative, last = structure.root.children
    assert [_body(raw, child) for child in alternative.children] == [b"unclosed"]
    assert _body(raw, alternative).endswith(b"unclosed")
    assert _body(raw, last) == b"last"
    assert structure.defects == ("multipart at offset 58 has no closing boundary",)


def test_multipart_without_boundary_parameter() -> None:
    raw = b"Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n"
    structure = parse_structure(raw)
    assert structure.root.children == ()
    assert _body(raw, structure.root) == b"--b\r\n\r\nx\r\n"
    assert structure.defects == ("multipart without boundary parameter at offset 0",)


def test_multipart_without_boundary_line() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\njust text\r\n"
    structure = parse_structure(raw)
    assert structure.root.children == ()
    assert structure.defects == ("multipart at offset 0 has no boundary line",)


def test_repeated_boundary_lines_make_no_empty_parts() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\nx\r\n--b\r\n--b--\r\n"
    )
    structure = parse_structure(raw)
    assert [_body(raw, child) for child in structure.root.children] == [b"x"]
    assert structure.defects == ()


def test_header_cut_by_boundary() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/html\r\n--b--\r\n"
    )
    structure = parse_structure(raw)
    (child,) = structure.root.children
    assert _header(raw, child) == b"Content-Type: text/html"
    assert child.body_start == child.end
    assert (child.type, child.subtype) == ("text", "html")


def test_line_without_colon_stays_in_header() -> None:
    raw = b"Content-Type: text/plain\nnot a field\n\nbody\n"
    structure = parse_structure(raw)
    assert _header(raw, structure.root) == b"Content-Type: text/plain\nnot a field\n\n"
    assert _body(raw, structure.root) == b"body\n"


def test_lf_and_lone_cr_line_endings() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\r--b\r\r\ntwo\n--b--"
    structure = parse_structure(raw)
    first, second = structure.root.children
    assert _body(raw, first) == b"one"
    assert _header(raw, second) == b"\r\n"
    assert _body(raw, second) == b"two"
    assert structure.root.end == len(raw)


def test_message_global_is_parsed() -> None:
    raw = (
        b"Content-Type: message/global\r\n\r\n"
        b"Subject: Ti\xe1\xba\xbfng Vi\xe1\xbb\x87t\r\n\r\nx\r\n"
    )
    root = parse_structure(raw).root
    assert root.envelope is not None
    assert root.envelope.subject == "Tiếng Việt"
    assert root.lines == 3


def test_part_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_PARTS", 4)
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b\r\n\r\nthree\r\n"
        b"--b\r\n\r\nfour\r\n--b\r\n\r\nfive\r\n--b--\r\nepilogue\r\n"
    )
    structure = parse_structure(raw)
    children = structure.root.children
    assert [_body(raw, child) for child in children[:3]] == [b"one", b"two", b"three"]
    opaque = children[3]
    assert (opaque.type, opaque.subtype) == ("application", "octet-stream")
    assert _header(raw, opaque) == b""
    assert _body(raw, opaque) == b"\r\nfour\r\n--b\r\n\r\nfive"
    assert structure.root.end == len(raw)
    assert structure.defects == (
        "more than 4 parts: the rest of the multipart at offset 0 kept as one opaque part",
    )


def test_depth_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_DEPTH", 2)
    raw = (
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n"
        b"--a\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\ndeep\r\n--c--\r\n"
        b"--a--\r\n"
    )
    structure = parse_structure(raw)
    attached = structure.root.children[0]
    assert attached.message is not None
    opaque = attached.message
    assert (opaque.type, opaque.subtype) == ("application", "octet-stream")
    assert opaque.params == (("boundary", "c"),)
    assert opaque.children == ()
    assert _body(raw, opaque) == b"--c\r\n\r\ndeep\r\n--c--"
    assert structure.defects == (
        "nesting deeper than 2: entity at offset 82 kept as one opaque part",
    )


def test_deep_nesting_is_bounded() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for depth in range(1, 200):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (depth - 1, depth)
    structure = parse_structure(raw)
    depth = 0
    part = structure.root
    while part.children:
        part = part.children[0]
        depth += 1
    assert depth == parse.MAX_DEPTH
    assert (part.type, part.subtype) == ("application", "octet-stream")


def test_header_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boundaries, "MAX_HEADER_BYTES", 30)
    raw = b"Subject: one\r\nX-Long: 0123456789\r\nSubject: two\r\n\r\nbody"
    structure = parse_structure(raw)
    assert _header(raw, structure.root) == b"Subject: one\r\n"
    assert structure.defects == ("header at offset 0 longer than 30, cut",)


def test_named_field_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(headers, "MAX_NAMED_FIELDS", 2)
    raw = b"To: a@b\r\nTo: c@d\r\nSubject: late\r\n\r\n"
    structure = parse_structure(raw)
    assert structure.envelope.subject is None
    assert structure.defects == ("header at offset 0 has too many fields, rest ignored",)


def test_structured_value_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_STRUCTURED_CHARS", 12)
    monkeypatch.setattr(parse, "MAX_STRUCTURED_TOTAL", 20)
    raw = b"To: a@hue.gov.vn, b@hue.gov.vn\r\nCc: c@hue.gov.vn\r\n\r\n"
    structure = parse_structure(raw)
    assert structure.envelope.to == (Address(None, None, "a", "hue.gov.vn"),)
    assert structure.envelope.cc == ()
    assert structure.defects == (
        "to at offset 0 too long, cut",
        "cc at offset 0 ignored: too much header text",
    )
