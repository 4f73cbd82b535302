"""Property tests: the parser never raises and its offsets stay consistent on any input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.mime import SectionSpec, from_json, parse_structure, section_bytes, to_json
from appliance.mime.addresses import parse_address_list
from appliance.mime.content import parse_typed_value
from appliance.mime.sections import SectionText
from tests.mime.invariants import offset_errors, part_numbers
from tests.mime.pycompare import CORPUS, crlf_form

CORPUS_MESSAGES = [crlf_form(path.read_bytes()) for path in sorted(CORPUS.glob("**/*.eml"))]

# Pieces of MIME syntax, so that random input reaches the multipart and header code.
FRAGMENTS = [
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b"--b",
    b"--b--",
    b"--c\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n",
    b'Content-Type: multipart/digest; boundary="c"\r\n',
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: text/plain; name*0*=utf-8''%C3; name*1=x\r\n",
    b'From: "A" <a@b>, g: c@d;\r\n',
    b"Subject: ",
    b" ",
    b"\t",
    b"(",
    b")",
    b'"',
    b"\\",
    b";",
    b"=",
    b":",
    b"<",
    b">",
    b"@",
    b",",
    b"\xff",
    b"\xe1\xbb\x87",
]
MIME_LIKE = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=6), max_size=80).map(b"".join)
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated_corpus(draw: st.DrawFn) -> bytes:
    """Return a corpus message with a few bytes inserted, deleted, repeated or cut off."""
    raw = draw(st.sampled_from(CORPUS_MESSAGES))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(st.sampled_from(["insert", "delete", "repeat", "truncate"]))
        pos = draw(st.integers(min_value=0, max_value=len(raw)))
        length = draw(st.integers(min_value=1, max_value=80))
        if operation == "insert":
            piece = draw(st.sampled_from(FRAGMENTS) | st.binary(min_size=1, max_size=4))
            raw = raw[:pos] + piece + raw[pos:]
        elif operation == "delete":
            raw = raw[:pos] + raw[pos + length :]
        elif operation == "repeat":
            raw = raw[:pos] + raw[pos : pos + length] * 2 + raw[pos + length :]
        else:
            raw = raw[:pos]
    return raw


def _check(raw: bytes) -> None:
    structure = parse_structure(raw)
    assert not any(defect.startswith("internal error") for defect in structure.defects)
    assert (structure.root.header_start, structure.root.end) == (0, len(raw))
    assert offset_errors(structure.root, 0, len(raw)) == []
    assert from_json(to_json(structure)) == structure
    texts: tuple[SectionText, ...] = ("", "MIME", "HEADER", "TEXT", "HEADER.FIELDS.NOT")
    for number in [(), *part_numbers(structure.root)]:
        for text in texts:
            section = section_bytes(raw, structure, SectionSpec(number, text, ("From",)))
            assert isinstance(section, bytes)


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


@SETTINGS
@given(MIME_LIKE)
def test_mime_like_bytes(raw: bytes) -> None:
    _check(raw)


@SETTINGS
@given(mutated_corpus())
def test_mutated_corpus_messages(raw: bytes) -> None:
    _check(raw)


FIELD_TEXT = st.lists(
    st.sampled_from(
        ['"', "\\", "(", ")", "<", ">", "@", ",", ";", ":", ".", "[", "]", "=", "*", "'"]
    )
    | st.text(max_size=4),
    max_size=40,
).map("".join)


@SETTINGS
@given(FIELD_TEXT)
def test_field_parsers_accept_any_text(text: str) -> None:
    addresses = parse_address_list(text)
    assert all(address.host is not None or address.name is None for address in addresses)
    parsed = parse_typed_value(text, True)
    assert parsed is None or all(name == name.lower() for name, _ in parsed[2])


def test_part_numbers_cover_tree() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\n\r\none\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Content-Type: multipart/alternative; boundary=c\r\n\r\n"
        b"--c\r\n\r\ntwo\r\n--c--\r\n"
        b"--b--\r\n"
    )
    structure = parse_structure(raw)
    assert list(part_numbers(structure.root)) == [(1,), (2,), (2, 1)]
