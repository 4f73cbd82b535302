"""The addresses a reader sees as the author of a message: From: and Sender: fields.

RFC 2047 section 5 allows an encoded word in a display name but never inside an addr-spec,
so `From: =?utf-8?b?cXVhbnRyaUBodWUuZ292LnZu?=` has no address at all. A mail reader
still shows the decoded text, `quantri@hue.gov.vn`, and a reader cannot tell it from the
real address. Checks on the author therefore look at the decoded display text as well.
"""

from __future__ import annotations

import re
from contextlib import suppress
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

# Loose on purpose: anything that reads as local@domain to a person counts.
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+\s*@\s*[A-Za-z0-9-]+(?:\s*\.\s*[A-Za-z0-9-]+)+")


def _fields(raw: bytes, names: tuple[str, ...]) -> list[str]:
    header: Message = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return [str(value) for name in names for value in header.get_all(name, [])]


def _normalise(address: str) -> str:
    return re.sub(r"\s+", "", address).lower().rstrip(".")


def decoded_text(value: str) -> str:
    """Return a header field value as a reader sees it, encoded words decoded."""
    # An undecodable word stays as it is, and is then checked as sent.
    with suppress(HeaderParseError, LookupError, UnicodeError):
        return str(make_header(decode_header(value)))
    return value


def display_addresses(raw: bytes, names: tuple[str, ...] = ("From",)) -> list[str]:
    """Return every address-like text in the decoded fields `names`, lower case, no repeats."""
    found: list[str] = []
    for value in _fields(raw, names):
        found.extend(_normalise(match[0]) for match in _ADDRESS.finditer(decoded_text(value)))
    return list(dict.fromkeys(found))


def display_domains(raw: bytes) -> list[str]:
    """Return the domains of every address-like text in the decoded From: fields."""
    domains = (address.rpartition("@")[2] for address in display_addresses(raw))
    return list(dict.fromkeys(domains))


def author_addresses(raw: bytes) -> list[str]:
    """Return the addr-specs of the From: and Sender: fields, lower case, no repeats.

    A mailbox with no parseable address (an encoded word alone, say) gives its text as it
    is, so it never matches a real address.
    """
    pairs = getaddresses(_fields(raw, ("From", "Sender")))
    return list(dict.fromkeys(_normalise(address) for _name, address in pairs if address))
