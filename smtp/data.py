"""Reading the DATA section of a message (RFC 5321 section 4.1.1.4), safely.

The data ends only at <CRLF>.<CRLF>; a line that starts with a dot loses that dot
(section 4.5.2). Three rules keep one message from becoming two (the "SMTP smuggling"
attacks, where two servers disagree on where the data ends) and keep memory bounded:

- A bare CR or a bare LF anywhere in the data rejects the whole message, as Postfix does
  with `smtpd_forbid_bare_newline = reject`. RFC 5321 section 2.3.8 allows CR and LF only
  together as a line ending. A lone CR or LF is how a smuggled end of data passes one
  server and stops at the next. A NUL byte rejects the message too.
- After a rejection the reader still reads up to the real <CRLF>.<CRLF>, so the rest of
  the message is never taken for commands.
- Past `max_size` bytes the data read so far is dropped and the rest is read and
  discarded, so memory stays below `max_size` plus one line piece (the stream's limit).

Lines may be longer than the 1000 octets of section 4.5.3.1.6: a line longer than the
stream's limit arrives in pieces and is kept whole, bounded by `max_size`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from smtp import replies

END_OF_DATA = b".\r\n"
CRLF = b"\r\n"


@dataclass(frozen=True)
class DataResult:
    """The message read after DATA, or the reply that rejects it."""

    content: bytes  # empty when rejected
    size: int  # bytes received after dot-unstuffing, counted even when rejected
    rejection: str | None  # the reply to send instead of delivering


class DataReader:
    """Reads one DATA section from a stream, line by line (one instance per message)."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.parts: list[bytes] = []
        self.size = 0
        self.rejection: str | None = None
        self.at_line_start = True

    async def read(
        self, reader: asyncio.StreamReader, on_progress: Callable[[], None]
    ) -> DataResult:
        """Read up to and including the end-of-data line; call `on_progress` per piece."""
        while True:
            piece = await self._next_piece(reader)
            on_progress()
            if self.at_line_start and piece == END_OF_DATA:
                break
            self._take(piece)
        if self.rejection is not None:
            return DataResult(b"", self.size, self.rejection)
        content = b"".join(self.parts)
        self.parts.clear()
        return DataResult(content, self.size, None)

    @staticmethod
    async def _next_piece(reader: asyncio.StreamReader) -> bytes:
        """Return the next line with its CRLF, or a piece of a line longer than the limit.

        A piece never splits a CRLF: the stream leaves a trailing CR in its buffer until
        the next byte arrives.
        """
        try:
            return await reader.readuntil(CRLF)
        except asyncio.LimitOverrunError as error:
            return await reader.read(error.consumed)

    def _take(self, piece: bytes) -> None:
        complete = piece.endswith(CRLF)
        if self.at_line_start and piece.startswith(b"."):
            piece = piece[1:]
        self.at_line_start = complete
        self.size += len(piece)
        if self.rejection is not None:
            return
        self.rejection = self._check(piece[:-2] if complete else piece)
        if self.rejection is not None:
            self.parts.clear()
            return
        self.parts.append(piece)

    def _check(self, text: bytes) -> str | None:
        """Return the rejection reply that `text` (a line without its CRLF) earns, if any."""
        if self.size > self.max_size:
            return replies.TOO_BIG
        if b"\r" in text or b"\n" in text:
            return replies.BARE_LINE_ENDING
        if b"\x00" in text:
            return replies.NUL_BYTE
        return None
