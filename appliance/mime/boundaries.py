"""Find multipart boundary lines and header ends in a stored message (RFC 2046 5.1.1).

A boundary line is `--boundary`, optionally `--` (the closing boundary), then blanks, at
the start of a line. Lines end with CRLF, LF or a lone CR, as in Python's email package.
The line break before a boundary line belongs to the boundary.

Every search runs in `re`, without a Python loop over lines. The first search looks for
the boundary string anywhere, which `re` does quickly because the pattern starts with a
literal. Only when that finds the string in the middle of a line does the search go on
with a slower pattern that also matches the line break in front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LF, _CR = 0x0A, 0x0D
_TAIL = rb")(?P<close>--)?[ \t]*(?=\r|\n|\Z)"
_BLANK_LINE = re.compile(rb"\n\r?\n")
# Maximum length of one header. Real headers are a few KiB. The limit bounds the work
# spent on a crafted message whose "header" never ends.
MAX_HEADER_BYTES = 1 << 20

Stack = tuple[bytes, ...]


@dataclass(frozen=True)
class Delimiter:
    """A boundary line: where its `--` starts, where its text ends and where the next
    line starts, which boundary it is and whether it is a closing boundary."""

    start: int
    end: int
    next_line: int
    boundary: bytes
    close: bool


def _alternatives(boundaries: Stack) -> bytes:
    """Return a regex alternation of the boundaries, innermost (last) first."""
    return b"|".join(re.escape(boundary) for boundary in reversed(boundaries))


def level(stack: Stack, delimiter: Delimiter) -> int:
    """Return the stack index of the delimiter's boundary, the innermost if repeated."""
    for index in range(len(stack) - 1, -1, -1):
        if stack[index] == delimiter.boundary:
            return index
    return -1  # not reached: the patterns only match boundaries of the stack


class BoundaryFinder:
    """Searches one message for boundary lines, caching one regex per boundary stack.

    A stack lists the boundaries of the open multiparts, outermost first.
    """

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._patterns: dict[tuple[str, bool, Stack], re.Pattern[bytes]] = {}
        # The last body search: its stack, start offset and result.
        self._known: tuple[Stack, int, Delimiter] | None = None

    def _pattern(self, kind: str, anchored: bool, stack: Stack) -> re.Pattern[bytes]:
        """Return the regex of one kind for a stack of boundaries.

        "body" matches any boundary line of the stack, and "close" the innermost
        boundary's closing line or any outer boundary line. An anchored pattern starts
        with the line break before the line.
        """
        key = (kind, anchored, stack)
        pattern = self._patterns.get(key)
        if pattern is None:
            if kind == "close":
                alternation = re.escape(stack[-1]) + rb"(?=--)"
                if len(stack) > 1:
                    alternation += b"|" + _alternatives(stack[:-1])
            else:
                alternation = _alternatives(stack)
            line = rb"--(?P<boundary>" + alternation + _TAIL
            source = rb"[\r\n](?P<line>" + line + b")" if anchored else line
            pattern = re.compile(source)
            self._patterns[key] = pattern
        return pattern

    def _delimiter(self, match: re.Match[bytes]) -> Delimiter:
        group = "line" if "line" in match.re.groupindex else 0
        start, end = match.start(group), match.end(group)
        next_line = end
        if self.raw.startswith(b"\r\n", end):
            next_line += 2
        elif end < len(self.raw) and self.raw[end] in (_LF, _CR):
            next_line += 1
        return Delimiter(start, end, next_line, match["boundary"], match["close"] is not None)

    def _at_line_start(self, pos: int) -> bool:
        return pos == 0 or self.raw[pos - 1] in (_LF, _CR)

    def _search(self, kind: str, stack: Stack, pos: int, endpos: int) -> Delimiter | None:
        match = self._pattern(kind, False, stack).search(self.raw, pos, endpos)
        if match is not None and not self._at_line_start(match.start()):
            match = self._pattern(kind, True, stack).search(self.raw, match.start(), endpos)
        return None if match is None else self._delimiter(match)

    def next(
        self, stack: Stack, pos: int, kind: str = "body", endpos: int | None = None
    ) -> Delimiter | None:
        """Return the first boundary line of the stack that starts in [pos, endpos)."""
        if endpos is None:
            endpos = len(self.raw)
            known = self._known
            if kind == "body" and known and known[0] == stack and known[1] <= pos <= known[2].start:
                return known[2]
        delimiter = self._search(kind, stack, pos, endpos)
        if kind == "body" and delimiter is not None:
            # No boundary line of this stack lies between pos and the delimiter, so the
            # body search that follows a header search can reuse the result.
            self._known = (stack, pos, delimiter)
        return delimiter

    def at(self, stack: Stack, pos: int) -> Delimiter | None:
        """Return the boundary line that starts exactly at `pos`, a line start, if any."""
        match = self._pattern("body", False, stack).match(self.raw, pos)
        return None if match is None else self._delimiter(match)

    def header_end(self, start: int, stack: Stack) -> tuple[int, Delimiter | None, bool]:
        """Return where the body of the entity at `start` begins.

        The header ends after the first empty line. When a boundary line of the stack
        comes first, it cuts the header: the returned offset is where that delimiter
        begins, the entity has no body, and the delimiter is returned too. A header is
        at most MAX_HEADER_BYTES long. A longer one is cut after its last line break
        within that limit, and the third value returned is True.
        """
        raw = self.raw
        if raw.startswith(b"\n", start):
            return start + 1, None, False
        if raw.startswith(b"\r\n", start):
            return start + 2, None, False
        limit = min(len(raw), start + MAX_HEADER_BYTES)
        delimiter = self.next(stack, start, endpos=limit) if stack else None
        stop = limit if delimiter is None else delimiter.start
        blank = _BLANK_LINE.search(raw, start, stop)
        if blank is not None:
            return blank.end(), None, False
        if delimiter is not None:
            return self.delimiter_start(delimiter, start), delimiter, False
        if limit == len(raw):
            return len(raw), None, False
        last_break = raw.rfind(b"\n", start, limit)
        return (last_break + 1 if last_break >= 0 else limit), None, True

    def delimiter_start(self, delimiter: Delimiter, floor: int) -> int:
        """Return where the delimiter begins, counting the line break before its line.

        The line break is only counted when it lies at or after `floor`.
        """
        pos = delimiter.start
        if pos > floor and self.raw[pos - 1] == _LF:
            pos -= 1
            if pos > floor and self.raw[pos - 1] == _CR:
                pos -= 1
        elif pos > floor and self.raw[pos - 1] == _CR:
            pos -= 1
        return pos
