"""The wire layer: modified UTF-7, the argument parser and the response writer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imap import mutf7, response, wirelog
from imap.errors import BadCommand
from imap.wire import Parser, SequenceSet


@pytest.mark.parametrize(
    ("unicode", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Công văn đến", "C&APQ-ng v&AQM-n &AREevw-n"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("Lưu trữ/2026", "L&AbA-u tr&Hu8-/2026"),
    ],
)
def test_mutf7_known_forms(unicode: str, wire: str) -> None:
    assert mutf7.encode(unicode) == wire
    assert mutf7.decode(wire) == unicode


@given(st.text(alphabet=st.characters(min_codepoint=1, exclude_categories=("Cs",))))
def test_mutf7_round_trip(name: str) -> None:
    assert mutf7.decode(mutf7.encode(name)) == name


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("a&b", "not closed"),
        ("&Jjo", "not closed"),
        ("&AGE-", "printable ASCII"),
        ("&A-", "not modified base64"),
        ("&AP/-", "not modified base64"),
        ("Công", "8-bit"),
        ("&2D0-", "not valid UTF-16"),
    ],
)
def test_mutf7_rejects_invalid(wire: str, reason: str) -> None:
    with pytest.raises(mutf7.InvalidName, match=reason):
        mutf7.decode(wire)


def test_parser_reads_strings_and_literals() -> None:
    parser = Parser(b'atom "quo\\"ted\\\\" {5}\r\nhe\r\no ]x NIL')
    assert parser.astring() == b"atom"
    parser.space()
    assert parser.astring() == b'quo"ted\\'
    parser.space()
    assert parser.astring() == b"he\r\no"
    parser.space()
    assert parser.astring() == b"]x"
    parser.space()
    assert parser.nil() is True
    parser.end()


def test_parser_reads_non_synchronizing_literal() -> None:
    parser = Parser(b"{3+}\r\nabc")
    assert parser.string() == b"abc"
    parser.end()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'"open', "not closed"),
        (b'"bad \\x"', "may be escaped"),
        (b"{10}\r\nshort", "shorter than its announced size"),
        (b"(paren", "Expected a string"),
    ],
)
def test_parser_rejects_bad_strings(data: bytes, message: str) -> None:
    with pytest.raises(BadCommand, match=message):
        Parser(data).string()


def test_sequence_set_resolves_star_and_reversed_ranges() -> None:
    parser = Parser(b"4:2,7,9:*")
    sequence = parser.sequence_set()
    assert sequence == SequenceSet(((4, 2), (7, 7), (9, None)))
    assert sequence.resolve([1, 2, 3, 4, 5, 7, 8, 12]) == [2, 3, 4, 7, 12]


def test_uid_range_beyond_last_includes_last() -> None:
    sequence = Parser(b"559:*").sequence_set()
    assert sequence.resolve([10, 20]) == [20]


@pytest.mark.parametrize("data", [b"0", b"1:0", b"1,,2", b":3", b"4294967296"])
def test_sequence_set_rejects_invalid(data: bytes) -> None:
    with pytest.raises(BadCommand):
        parser = Parser(data)
        parser.sequence_set()
        parser.end()


def test_date_time_keeps_zone() -> None:
    value = Parser(b'" 5-Feb-2026 08:30:00 +0700"').date_time()
    assert value == datetime(2026, 2, 5, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    assert value.astimezone(UTC) == datetime(2026, 2, 5, 1, 30, tzinfo=UTC)


def test_search_date_quoted_and_bare() -> None:
    assert Parser(b"1-Feb-2026").date() == date(2026, 2, 1)
    assert Parser(b'"28-dec-1999"').date() == date(1999, 12, 28)
    with pytest.raises(BadCommand, match="Invalid date"):
        Parser(b"31-Feb-2026").date()


def test_flags_normalise_system_flag_case() -> None:
    assert Parser(b"(\\seen \\DELETED $Label1)").flag_list() == ["\\Seen", "\\Deleted", "$Label1"]
    with pytest.raises(BadCommand, match="Unknown system flag"):
        Parser(b"(\\Bogus)").flag_list()


def test_mailbox_decodes_and_normalises_inbox() -> None:
    assert Parser(b"inbox/C&APQ-ng").mailbox() == "INBOX/Công"
    with pytest.raises(BadCommand, match="modified UTF-7"):
        Parser(b'"&Jjo"').mailbox()


def test_response_strings() -> None:
    assert response.string("plain") == b'"plain"'
    assert response.string('say "hi" \\') == b'"say \\"hi\\" \\\\"'
    assert response.string("Tiếng Việt") == b"{14}\r\nTi\xe1\xba\xbfng Vi\xe1\xbb\x87t"
    assert response.string("two\r\nlines") == b"{10}\r\ntwo\r\nlines"
    assert response.nstring(None) == b"NIL"
    assert response.mailbox("Công văn đến") == b'"C&APQ-ng v&AQM-n &AREevw-n"'


def test_response_date_time_pads_day() -> None:
    value = datetime(2026, 3, 7, 1, 2, 3, tzinfo=UTC)
    assert response.date_time(value) == b'" 7-Mar-2026 01:02:03 +0000"'


def test_wire_log_masks_login_and_literals() -> None:
    assert wirelog.loggable_command(b'a1 LOGIN user "secret"') == "a1 LOGIN <masked>"
    assert wirelog.loggable_command(b"a2 authenticate PLAIN AGZvbwBiYXI=") == (
        "a2 authenticate <masked>"
    )
    assert wirelog.loggable_command(b"a3 APPEND INBOX {4}\r\nbody") == (
        "a3 APPEND INBOX {4}\r\n<4 bytes>"
    )
