"""Modified UTF-7, the mailbox name encoding of IMAP4rev1 (RFC 3501 section 5.1.3).

Printable US-ASCII other than "&" stands for itself, "&" is written "&-", and every other
run of characters is UTF-16BE in base64 (with "," in place of "/", no padding) between
"&" and "-".
"""

from __future__ import annotations

import binascii
import re

_ENCODED = re.compile(r"&([^-]*)-")


class InvalidName(ValueError):
    """A mailbox name that is not valid modified UTF-7."""


def encode(name: str) -> str:
    """Return the modified UTF-7 form of a Unicode mailbox name."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            text = binascii.b2a_base64(data, newline=False).decode("ascii")
            out.append("&" + text.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode(name: str) -> str:
    """Return the Unicode form of a modified UTF-7 mailbox name, or raise InvalidName."""
    if any(not 0x20 <= ord(char) <= 0x7E for char in name):
        raise InvalidName("8-bit or control characters must be written in modified UTF-7")
    out: list[str] = []
    position = 0
    for match in _ENCODED.finditer(name):
        plain = name[position : match.start()]
        if "&" in plain:
            raise InvalidName("an '&' is not closed by '-'")
        out.append(plain)
        out.append(_decode_run(match.group(1)))
        position = match.end()
    rest = name[position:]
    if "&" in rest:
        raise InvalidName("an '&' is not closed by '-'")
    out.append(rest)
    return "".join(out)


def _decode_run(text: str) -> str:
    if not text:
        return "&"
    if len(text) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9+,]+", text):
        raise InvalidName(f"'&{text}-' is not modified base64")
    padded = text.replace(",", "/") + "=" * (-len(text) % 4)
    data = binascii.a2b_base64(padded)
    if len(data) % 2:
        raise InvalidName(f"'&{text}-' does not hold whole UTF-16 units")
    try:
        decoded = data.decode("utf-16-be")
    except UnicodeDecodeError:
        raise InvalidName(f"'&{text}-' is not valid UTF-16") from None
    if any(0x20 <= ord(char) <= 0x7E for char in decoded):
        raise InvalidName(f"'&{text}-' encodes printable ASCII, which must be written as is")
    return decoded
