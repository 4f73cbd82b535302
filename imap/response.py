"""Writing IMAP data items: strings, lists and names (RFC 3501 sections 4 and 9)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from imap import mutf7
from imap.wire import MONTHS

_QUOTABLE = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x7f]*")
_MAX_QUOTED = 1024  # longer values go as literals, which every client reads without escapes


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def string(value: str | bytes) -> bytes:
    """Write a string: quoted when it is short 7-bit text, else a literal."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if len(data) <= _MAX_QUOTED and _QUOTABLE.fullmatch(data):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return literal(data)


def nstring(value: str | bytes | None) -> bytes:
    return b"NIL" if value is None else string(value)


def mailbox(name: str) -> bytes:
    """Write a mailbox name in modified UTF-7, always quoted."""
    return string(mutf7.encode(name))


def parenthesised(items: Iterable[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"


def flag_list(flags: Iterable[str]) -> bytes:
    return parenthesised(flag.encode("ascii", "replace") for flag in sorted(flags))


def date_time(value: datetime) -> bytes:
    """Write an INTERNALDATE: "dd-Mon-yyyy hh:mm:ss +0000" in UTC (RFC 3501 section 9)."""
    value = value.astimezone(UTC)
    text = f'"{value.day:2d}-{MONTHS[value.month - 1]}-{value.year:04d} {value:%H:%M:%S} +0000"'
    return text.encode("ascii")
