"""The argument parser of IMAP commands (RFC 3501 section 9, formal syntax).

A command reaches the parser as one buffer: its lines joined with CRLF and every literal's
bytes placed right after the CRLF that follows its `{n}` or `{n+}` (RFC 7888), exactly as
they came on the wire. Each command handler reads its own arguments with these methods,
which raise BadCommand with a readable text when the syntax is wrong.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from imap import mutf7
from imap.errors import BadCommand

# RFC 3501 section 9: atom-specials are "(" ")" "{" SP CTL list-wildcards quoted-specials
# resp-specials; ASTRING-CHAR adds "]" back; list-char adds the wildcards back.
_ATOM = re.compile(rb'[^\x00-\x20\x7f-\xff(){%*"\\\]]+')
_ASTRING_ATOM = re.compile(rb'[^\x00-\x20\x7f-\xff(){%*"\\]+')
_TAG = re.compile(rb'[^\x00-\x20\x7f-\xff(){%*"\\+]+')
_LIST_ATOM = re.compile(rb'[^\x00-\x20\x7f-\xff(){"\\]+')
_LITERAL = re.compile(rb"\{(\d{1,20})(\+?)\}\r\n")
_NUMBER = re.compile(rb"\d+")
_DATE = re.compile(rb"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_DATE_TIME = re.compile(
    rb'"([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"'
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTHS, 1)}
SYSTEM_FLAGS = {
    flag.lower(): flag for flag in ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")
}
MAX_NUMBER = 2**32 - 1  # nz-number and number are 32-bit unsigned (RFC 3501 section 9)


@dataclass(frozen=True)
class SequenceSet:
    """A sequence-set: ranges of message numbers or UIDs where None is "*"."""

    ranges: tuple[tuple[int | None, int | None], ...]

    def resolve(self, values: list[int]) -> list[int]:
        """Return the members of the sorted list `values` that the set names, ascending.

        "*" is the largest value in use, so "n:*" always names the last value even when n
        is larger (RFC 3501 section 6.4.8).
        """
        if not values:
            return []
        largest = values[-1]
        chosen: set[int] = set()
        for low, high in self.ranges:
            first = largest if low is None else low
            last = largest if high is None else high
            if first > last:
                first, last = last, first
            chosen.update(value for value in _between(values, first, last))
        return sorted(chosen)


def _between(values: list[int], first: int, last: int) -> list[int]:
    return values[bisect.bisect_left(values, first) : bisect.bisect_right(values, last)]


class Parser:
    """A cursor over the arguments of one command."""

    def __init__(self, data: bytes, position: int = 0) -> None:
        self.data = data
        self.position = position

    # Position and separators

    def peek(self, count: int = 1) -> bytes:
        return self.data[self.position : self.position + count]

    def at_end(self) -> bool:
        return self.position >= len(self.data)

    def space(self) -> None:
        """Read exactly one SP."""
        if self.peek() != b" ":
            raise BadCommand(self.expected("a space"))
        self.position += 1

    def try_space(self) -> bool:
        if self.peek() == b" ":
            self.position += 1
            return True
        return False

    def end(self) -> None:
        """Check that no argument is left."""
        if not self.at_end():
            raise BadCommand(self.expected("the end of the command"))

    def expect(self, text: bytes) -> None:
        if self.data[self.position : self.position + len(text)].upper() != text.upper():
            raise BadCommand(self.expected(repr(text.decode("ascii"))))
        self.position += len(text)

    def try_expect(self, text: bytes) -> bool:
        if self.data[self.position : self.position + len(text)].upper() == text.upper():
            self.position += len(text)
            return True
        return False

    def expected(self, what: str) -> str:
        if self.at_end():
            return f"Expected {what} but the command ended"
        found = "".join(
            chr(byte) if 0x20 <= byte < 0x7F else f"\\x{byte:02x}"
            for byte in self.data[self.position : self.position + 20]
        )
        return f"Expected {what} at '{found}'"

    # Atoms, numbers and strings

    def atom(self, pattern: re.Pattern[bytes] = _ATOM) -> str:
        match = pattern.match(self.data, self.position)
        if not match:
            raise BadCommand(self.expected("an atom"))
        self.position = match.end()
        return match.group().decode("ascii")

    def atom_tag(self) -> bytes:
        """Read a command tag: ASTRING-CHAR except "+" (RFC 3501 section 9)."""
        return self.atom(_TAG).encode("ascii")

    def keyword(self) -> str:
        """Read an atom and return it in upper case (command and item names)."""
        return self.atom().upper()

    def number(self, nonzero: bool = False) -> int:
        match = _NUMBER.match(self.data, self.position)
        if not match:
            raise BadCommand(self.expected("a number"))
        value = int(match.group())
        if value > MAX_NUMBER or (nonzero and value == 0):
            raise BadCommand(f"Number out of range: {match.group().decode()}")
        self.position = match.end()
        return value

    def quoted(self) -> bytes:
        self.expect(b'"')
        out = bytearray()
        while True:
            char = self.peek()
            if char in (b"", b"\r", b"\n"):
                raise BadCommand("Quoted string is not closed")
            self.position += 1
            if char == b'"':
                return bytes(out)
            if char == b"\\":
                escaped = self.peek()
                if escaped not in (b'"', b"\\"):
                    raise BadCommand('Only \\" and \\\\ may be escaped in a quoted string')
                self.position += 1
                char = escaped
            out += char

    def literal(self) -> bytes:
        match = _LITERAL.match(self.data, self.position)
        if not match:
            raise BadCommand(self.expected("a literal"))
        start = match.end()
        size = int(match.group(1))
        if start + size > len(self.data):
            raise BadCommand("Literal is shorter than its announced size")
        self.position = start + size
        return self.data[start : start + size]

    def string(self) -> bytes:
        if self.peek() == b'"':
            return self.quoted()
        if self.peek() == b"{":
            return self.literal()
        raise BadCommand(self.expected("a string"))

    def astring(self) -> bytes:
        if self.peek() in (b'"', b"{"):
            return self.string()
        return self.atom(_ASTRING_ATOM).encode("ascii")

    def text_astring(self) -> str:
        """Read an astring holding UTF-8 text (user names, passwords, search strings)."""
        value = self.astring()
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise BadCommand("String is not valid UTF-8") from None

    def nil(self) -> bool:
        if self.data[self.position : self.position + 3].upper() == b"NIL" and not _ATOM.match(
            self.data, self.position + 3
        ):
            self.position += 3
            return True
        return False

    # Compound arguments

    def mailbox(self) -> str:
        """Read a mailbox name and return it in Unicode, with INBOX in any case as "INBOX"."""
        return decode_mailbox(self.astring())

    def list_mailbox(self) -> str:
        """Read a LIST pattern (list-mailbox: wildcards allowed) and decode it."""
        if self.peek() in (b'"', b"{"):
            raw = self.string()
        else:
            raw = self.atom(_LIST_ATOM).encode("ascii")
        return decode_mailbox(raw, normalize=False)

    def open_list(self) -> None:
        self.expect(b"(")

    def list_continues(self) -> bool:
        """Tell whether another item follows in a parenthesised list, eating the separator."""
        return not self.try_expect(b")")

    def flag(self, allow_wildcard: bool = False) -> str:
        if self.try_expect(b"\\"):
            if allow_wildcard and self.try_expect(b"*"):
                return "\\*"
            name = "\\" + self.atom()
            known = SYSTEM_FLAGS.get(name.lower())
            if known is None:
                raise BadCommand(f"Unknown system flag: {name}")
            return known
        return self.atom()

    def flag_list(self) -> list[str]:
        """Read "(" [flag *(SP flag)] ")"."""
        self.open_list()
        flags: list[str] = []
        if self.try_expect(b")"):
            return flags
        while True:
            flags.append(self.flag())
            if self.try_expect(b")"):
                return flags
            self.space()

    def sequence_set(self) -> SequenceSet:
        ranges: list[tuple[int | None, int | None]] = []
        while True:
            low = self._sequence_number()
            high = low
            if self.try_expect(b":"):
                high = self._sequence_number()
            ranges.append((low, high))
            if not self.try_expect(b","):
                return SequenceSet(tuple(ranges))

    def _sequence_number(self) -> int | None:
        if self.try_expect(b"*"):
            return None
        if not _NUMBER.match(self.data, self.position):
            raise BadCommand(self.expected("a sequence set"))
        return self.number(nonzero=True)

    def date(self) -> date:
        """Read a search date: 1*2DIGIT "-" month "-" 4DIGIT, optionally quoted."""
        quoted = self.try_expect(b'"')
        match = _DATE.match(self.data, self.position)
        month = _MONTH_NUMBERS.get(match.group(2).decode().lower()) if match else None
        if not match or month is None:
            raise BadCommand(self.expected("a date like 1-Feb-2026"))
        self.position = match.end()
        if quoted:
            self.expect(b'"')
        try:
            return date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            raise BadCommand(f"Invalid date: {match.group().decode()}") from None

    def date_time(self) -> datetime:
        """Read an APPEND date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 3501 section 9)."""
        match = _DATE_TIME.match(self.data, self.position)
        month = _MONTH_NUMBERS.get(match.group(2).decode().lower()) if match else None
        if not match or month is None:
            raise BadCommand(self.expected('a date-time like "01-Feb-2026 08:30:00 +0700"'))
        day, _, year, hour, minute, second, sign, zone_h, zone_m = match.groups()
        offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
        try:
            value = datetime(
                int(year),
                month,
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=timezone(-offset if sign == b"-" else offset),
            )
        except ValueError:
            raise BadCommand(f"Invalid date-time: {match.group().decode()}") from None
        self.position = match.end()
        return value


def decode_mailbox(raw: bytes, normalize: bool = True) -> str:
    """Decode a mailbox name from the wire (modified UTF-7) to Unicode."""
    try:
        name = mutf7.decode(raw.decode("ascii"))
    except UnicodeDecodeError:
        raise BadCommand(
            "Mailbox name has 8-bit characters; write them in modified UTF-7 (RFC 3501 5.1.3)"
        ) from None
    except mutf7.InvalidName as error:
        raise BadCommand(f"Mailbox name is not valid modified UTF-7: {error}") from None
    if normalize:
        first, slash, rest = name.partition("/")
        if first.upper() == "INBOX":
            name = "INBOX" + slash + rest
    return name
