"""Run IMAP dialogues in memory: client lines go into a session, server lines come back.

A transcript is written like the examples of RFC 3501: "C: " lines are sent by the
client, "S: " lines are what the server must answer, in order. Client lines are joined
with CRLF, so a literal's data is the next "C: " line. `<NAME>` in an expected line is
replaced by the value given for NAME, and `<SP>` by a space (for a line that ends with
one, such as the "+ " continuation). `<*>` in an expected line matches any text, for
values the test cannot know in advance, such as UIDVALIDITY. A line that starts with
".. " continues the line before it, so long responses fit the line width.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from typing import Any

from appliance.core import Core
from imap.session import Session

PASSWORD = "Mật-khẩu-2026!"
LOGIN = (
    'C: L1 LOGIN an.nguyen@hue.gov.vn "' + PASSWORD + '"\n'
    "S: L1 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE "
    "UNSELECT CHILDREN LIST-EXTENDED SPECIAL-USE STATUS=SIZE QUOTA QUOTA=RES-STORAGE "
    "QUOTA=RES-MESSAGE] Logged in\n"
)


class MemoryWriter:
    """The writing side of an in-memory connection."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        await asyncio.sleep(0)

    async def start_tls(self, sslcontext: ssl.SSLContext) -> None:
        raise ConnectionError("TLS is not available on an in-memory connection")

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default


async def converse(core: Core, client: bytes, *, secure: bool = True) -> bytes:
    """Feed all of `client` to a new session and return everything it wrote."""
    reader = asyncio.StreamReader()
    reader.feed_data(client)
    reader.feed_eof()
    writer = MemoryWriter()
    session = Session(core, reader, writer, tls=None, secure=secure)
    await asyncio.wait_for(session.run(), 30)
    return bytes(writer.data)


def split_script(script: str, values: dict[str, object]) -> tuple[bytes, list[bytes]]:
    client: list[bytes] = []
    expected: list[bytes] = []
    last = client
    for line in script.strip("\n").split("\n"):
        for name, value in {**values, "SP": " "}.items():
            line = line.replace(f"<{name}>", str(value))
        if not line:
            continue
        if line.startswith(".. "):
            last[-1] += line[3:].encode("utf-8")
        elif line.startswith("C: "):
            client.append(line[3:].encode("utf-8"))
            last = client
        elif line.startswith("S: "):
            expected.append(line[3:].encode("utf-8"))
            last = expected
        elif line == "C:":
            client.append(b"")
        elif line == "S:":
            expected.append(b"")
        else:
            raise ValueError(f"transcript line must start with 'C: ' or 'S: ': {line!r}")
    return b"".join(item + b"\r\n" for item in client), expected


async def run_transcript(
    core: Core, script: str, *, secure: bool = True, **values: object
) -> list[bytes]:
    """Run a transcript and return the server lines after the greeting."""
    client, _ = split_script(script, values)
    output = await converse(core, client, secure=secure)
    lines = output.split(b"\r\n")
    assert lines[-1] == b"", f"output does not end with CRLF: {lines[-1]!r}"
    assert lines[0].startswith(b"* OK [CAPABILITY "), lines[0]
    return lines[1:-1]


async def check(core: Core, script: str, *, secure: bool = True, **values: object) -> None:
    """Run a transcript and compare every server line after the greeting."""
    _, expected = split_script(script, values)
    actual = await run_transcript(core, script, secure=secure, **values)
    shown = [
        line if _matches(line, pattern) else line + b"  <-- expected " + pattern
        for line, pattern in zip(actual, expected, strict=False)
    ]
    assert len(actual) == len(expected) and shown == actual, b"\n".join(shown).decode()


def _matches(line: bytes, pattern: bytes) -> bool:
    if b"<*>" not in pattern:
        return line == pattern
    regex = b".*".join(re.escape(piece) for piece in pattern.split(b"<*>"))
    return re.fullmatch(regex, line, re.DOTALL) is not None
