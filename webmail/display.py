"""Header values of the stored envelope, made readable: RFC 2047 words decoded, dates parsed.

The envelope keeps header values as written on the wire (see `appliance.mime.structure`),
8-bit bytes included as surrogate escapes. Display needs Unicode text, so each value is
decoded here, and a value that cannot be decoded is shown as written.
"""

from __future__ import annotations

import email.policy
import email.utils
import unicodedata
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header

from appliance.mime.structure import Address


def decode_words(value: str | None) -> str:
    """Decode RFC 2047 encoded words in a header value and normalize it to NFC.

    Raw 8-bit header bytes are read as UTF-8, the charset Vietnamese mail uses in practice.
    An encoded word in an unknown charset is decoded by the header registry of the
    `email` package, which replaces what it cannot read, and if that fails too the value
    is returned as written.
    """
    if not value:
        return ""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if "=?" in text:
        text = _decode_encoded_words(text)
    return unicodedata.normalize("NFC", text)


def _decode_encoded_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, HeaderParseError, ValueError):
        pass
    try:
        return str(email.policy.default.header_factory("subject", text))
    except Exception:  # the registry has known crashes on odd input; show it as written
        return text


def address_text(address: Address) -> str:
    """Return `mailbox@host`, or the mailbox alone when the host is missing."""
    mailbox = decode_words(address.mailbox)
    return f"{mailbox}@{address.host}" if address.host else mailbox


def display_name(address: Address) -> str:
    """Return the decoded name of an address, or the address when it has no name."""
    return decode_words(address.name) or address_text(address)


def real_addresses(addresses: tuple[Address, ...]) -> list[Address]:
    """Return the mailboxes of an address list, without group start and end markers."""
    return [item for item in addresses if item.mailbox is not None and item.host is not None]


def format_addresses(addresses: tuple[Address, ...]) -> str:
    """Return addresses as `Name <mailbox@host>, …` for display and for reply fields."""
    return ", ".join(
        format_address(decode_words(item.name), address_text(item))
        for item in real_addresses(addresses)
    )


def format_address(name: str, address: str) -> str:
    """Return `Name <address>`, quoting the name when it contains RFC 5322 specials.

    Unlike `email.utils.formataddr`, a non-ASCII name stays readable instead of being
    encoded, because this text is shown to people and parsed back by `getaddresses`.
    """
    if not name:
        return address
    if any(char in _SPECIALS for char in name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        name = f'"{escaped}"'
    return f"{name} <{address}>"


_SPECIALS = frozenset('()<>[]:;@\\,."')


def parse_date(value: str | None) -> datetime | None:
    """Parse an RFC 5322 Date header; return None when it is missing or invalid."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None  # "-0000" means an unknown zone (RFC 5322 section 3.3)
    return parsed
