"""Reading commands from the wire: lines, literals and their size limits.

RFC 3501 section 7.5 has the server send a "+" continuation before each synchronizing
literal; RFC 7888 (LITERAL+) lets the client send `{n+}` literals without waiting. A
literal larger than the limit is refused before any of it is read: for a synchronizing
literal the client never gets the continuation, and the bytes of a non-synchronizing one
are read and thrown away (RFC 7888 section 4).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

MAX_LINE = 64 * 1024  # bytes of one command line outside literals
MAX_SMALL_LITERAL = 64 * 1024  # bytes of a literal in any command but APPEND after login
MAX_DISCARD = 1024**3  # a refused non-synchronizing literal larger than this ends the session

_LITERAL_AT_END = re.compile(rb"\{(\d{1,20})(\+?)\}$")
_TAG_AND_NAME = re.compile(rb"([^\x00-\x20\x7f-\xff(){%*\"\\+]+) (?:UID )?([A-Za-z]+)", re.I)


class ConnectionEnded(Exception):
    """The client closed the connection or sent something that ends it."""


class Refusal(Exception):
    """A command refused while it was being read; `reply` is the tagged response to send."""

    def __init__(self, reply: bytes) -> None:
        super().__init__(reply)
        self.reply = reply


def command_start(line: bytes) -> tuple[bytes | None, str]:
    """Return the tag and upper-case command name at the start of a line, as far as found."""
    match = _TAG_AND_NAME.match(line)
    if match:
        return match.group(1), match.group(2).decode("ascii").upper()
    tag = line.split(b" ", 1)[0]
    return (tag if tag and _TAG_AND_NAME.match(tag + b" X") else None), ""


class CommandReader:
    """Reads whole commands, sending continuations for synchronizing literals."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        send: Callable[[bytes], Awaitable[None]],
        max_message_size: int,
    ) -> None:
        self.reader = reader
        self.send = send
        self.max_message_size = max_message_size

    async def read_line(self) -> bytes:
        """Return the next line without its line ending; BAD lines raise Refusal."""
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as error:
            raise ConnectionEnded("connection closed by the client") from error
        except asyncio.LimitOverrunError as error:
            start = await self.reader.readexactly(error.consumed)
            await self._discard_line()
            tag, _ = command_start(start)
            raise Refusal(
                (tag or b"*") + b" BAD Command line longer than %d bytes\r\n" % MAX_LINE
            ) from None
        return line.rstrip(b"\r\n") if line.endswith(b"\r\n") else line[:-1]

    async def _discard_line(self) -> None:
        while True:
            try:
                await self.reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as error:
                await self.reader.readexactly(error.consumed)
            except asyncio.IncompleteReadError as error:
                raise ConnectionEnded("connection closed by the client") from error

    async def read_command(self, authenticated: bool) -> bytes:
        """Return one command with its literals, as the parser in `imap.wire` reads it."""
        line = await self.read_line()
        tag, name = command_start(line)
        buffer = bytearray(line)
        while match := _LITERAL_AT_END.search(line):
            size = int(match.group(1))
            synchronizing = not match.group(2)
            limit = self.max_message_size if authenticated and name == "APPEND" else None
            if size > (limit or MAX_SMALL_LITERAL) or len(buffer) + size > 2 * MAX_LINE + (
                limit or MAX_SMALL_LITERAL
            ):
                await self._refuse_literal(size, synchronizing)
                raise Refusal(_too_big_reply(tag, name == "APPEND", limit, size))
            if synchronizing:
                await self.send(b"+ Ready for literal data\r\n")
            try:
                buffer += b"\r\n" + await self.reader.readexactly(size)
            except asyncio.IncompleteReadError as error:
                raise ConnectionEnded("connection closed inside a literal") from error
            line = await self.read_line()
            buffer += line
        return bytes(buffer)

    async def _refuse_literal(self, size: int, synchronizing: bool) -> None:
        if synchronizing:
            return
        if size > MAX_DISCARD:
            raise ConnectionEnded("non-synchronizing literal too large to discard")
        remaining = size
        while remaining:
            chunk = await self.reader.read(min(remaining, 1 << 16))
            if not chunk:
                raise ConnectionEnded("connection closed inside a literal")
            remaining -= len(chunk)
        # The rest of the command line (and any further literal on it) is dropped too.
        line = await self.read_line()
        while match := _LITERAL_AT_END.search(line):
            await self._refuse_literal(int(match.group(1)), synchronizing=not match.group(2))
            if not match.group(2):
                return
            line = await self.read_line()


def _too_big_reply(tag: bytes | None, is_append: bool, limit: int | None, size: int) -> bytes:
    prefix = tag or b"*"
    if is_append and limit is not None:
        text = b" NO [TOOBIG] Message of %d bytes exceeds the limit of %d bytes\r\n" % (size, limit)
    else:
        text = b" BAD Literal of %d bytes is too large for this command\r\n" % size
    return prefix + text
