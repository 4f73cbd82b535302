"""Addresses hidden in the display text of From: fields.

RFC 2047 section 5 allows an encoded word in a display name but never inside an addr-spec,
so `From: =?utf-8?b?cXVhbnRyaUBodWUuZ292LnZu?=` has no address at all. A mail reader
still shows the decoded text, `quantri@hue.gov.vn`, and a reader cannot tell it from the
real address. The MX therefore looks for addresses in the decoded text as well.
"""

from __future__ import annotations

import re
from contextlib import suppress
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32

# Loose on purpose: anything that reads as local@domain to a person counts.
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+\s*@\s*([A-Za-z0-9-]+(?:\s*\.\s*[A-Za-z0-9-]+)+)")


def decoded_from_text(raw: bytes) -> list[str]:
    """Return each From: field of `raw` as a reader sees it, encoded words decoded."""
    header = BytesHeaderParser(policy=compat32).parsebytes(raw)
    texts = []
    for value in header.get_all("From", []):
        text = str(value)
        # An undecodable word stays as it is, and is then checked as sent.
        with suppress(HeaderParseError, LookupError, UnicodeError):
            text = str(make_header(decode_header(text)))
        texts.append(text)
    return texts


def display_domains(raw: bytes) -> list[str]:
    """Return the domains of every address-like text in the decoded From: fields, lower case."""
    domains = []
    for text in decoded_from_text(raw):
        for match in _ADDRESS.finditer(text):
            domains.append(re.sub(r"\s+", "", match[1]).lower().rstrip("."))
    return list(dict.fromkeys(domains))
