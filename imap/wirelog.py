"""The DEBUG wire log: every line in and out, tagged with the connection id.

Passwords never reach it: LOGIN arguments and AUTHENTICATE data are masked, and literal
contents (message bodies among them) are replaced by their size.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("imap")

_LITERAL = re.compile(rb"\{(\d{1,20})\+?\}\r\n")
_SECRET_COMMAND = re.compile(rb"([^ ]+ (?:LOGIN|AUTHENTICATE))( .*)?$", re.I | re.S)


def _shorten(data: bytes) -> bytes:
    """Replace each literal's bytes by a note of its size."""
    out = bytearray()
    position = 0
    while match := _LITERAL.search(data, position):
        out += data[position : match.end()]
        size = int(match.group(1))
        out += b"<%d bytes>" % size
        position = match.end() + size
    out += data[position:]
    return bytes(out)


def loggable_command(data: bytes) -> str:
    """Return a client command as it may be logged."""
    match = _SECRET_COMMAND.match(data)
    if match:
        data = match.group(1) + (b" <masked>" if match.group(2) else b"")
    return _shorten(data).decode("utf-8", "replace")


def client(connection_id: str, data: bytes, secret: bool = False) -> None:
    if log.isEnabledFor(logging.DEBUG):
        text = "<masked>" if secret else loggable_command(data)
        log.debug("%s C: %s", connection_id, text)


def server(connection_id: str, data: bytes) -> None:
    if log.isEnabledFor(logging.DEBUG):
        for line in _shorten(data).decode("utf-8", "replace").splitlines():
            log.debug("%s S: %s", connection_id, line)
