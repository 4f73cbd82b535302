"""The addresses a reader sees as the author of a message: From: and Sender: fields.

RFC 2047 section 5 allows an encoded word in a display name but never inside an addr-spec,
so `From: =?utf-8?b?cXVhbnRyaUBodWUuZ292LnZu?=` has no address at all. A mail reader
still shows the decoded text, `quantri@hue.gov.vn`, and a reader cannot tell it from the
real address. Checks on the author therefore look at the decoded display text as well.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import suppress
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses

# Loose on purpose: anything that reads as local@domain to a person counts.
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+\s*@\s*[A-Za-z0-9-]+(?:\s*\.\s*[A-Za-z0-9-]+)+")


def _fields(raw: bytes, names: tuple[str, ...]) -> list[str]:
    """Return the values of the header fields `names`, 8-bit text read as UTF-8 (RFC 6532)."""
    end = raw.find(b"\r\n\r\n")
    head = raw[: end + 2] if end >= 0 else raw.partition(b"\n\n")[0]
    header: Message = HeaderParser(policy=compat32).parsestr(head.decode("utf-8", "replace"))
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
    """Return the addresses a reader sees in the decoded fields `names`, lower case.

    That is every addr-spec, and every display name that reads as an address on its own
    (`"quantri@hue.gov.vn" <x@example.org>`). A name that only mentions an address, as
    mailing lists write "'a@b' via List", is free text (RFC 5322 section 3.4) and does not
    count. Compatibility forms are folded first (NFKC), so a full-width ＠ reads as @.
    """
    found: list[str] = []
    for value in _fields(raw, names):
        text = unicodedata.normalize("NFKC", decoded_text(value))
        for name, address in getaddresses([text]):
            for candidate in (name.strip(" '\"<>"), address):
                if candidate and _ADDRESS.fullmatch(candidate):
                    found.append(_normalise(candidate))
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


def from_names_no_mailbox(raw: bytes) -> bool:
    """Tell whether a From: field is present but contains no mailbox, such as an empty group.

    RFC 5322 section 3.6.2 requires at least one mailbox in From:.
    """
    values = _fields(raw, ("From",))
    return bool(values) and not any(address for _name, address in getaddresses(values))
