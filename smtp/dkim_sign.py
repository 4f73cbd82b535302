"""DKIM signing of outbound mail with the key made at `appliance init` (RFC 6376).

dkimpy signs with rsa-sha256 and relaxed/relaxed canonicalization. The signed fields are
the ones a reader sees or a client uses to display the message; a field listed but absent
is still named in h=, so it cannot be added later without breaking the signature
(RFC 6376 section 5.4).
"""

from __future__ import annotations

import logging
from pathlib import Path

import dkim

from appliance.config import Settings
from appliance.dkim_keys import key_path

log = logging.getLogger("smtp.outbound")

SIGNED_FIELDS = (
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"in-reply-to",
    b"references",
    b"mime-version",
    b"content-type",
    b"content-transfer-encoding",
)


class DkimSigner:
    """Signs messages as `selector._domainkey.domain`."""

    def __init__(self, private_key: bytes, selector: str, domain: str) -> None:
        self.private_key = private_key
        self.selector = selector
        self.domain = domain

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimSigner | None:
        """Load the key made at init; None (mail leaves unsigned) when it is missing."""
        path: Path = key_path(settings.data_dir)
        if not path.exists():
            log.warning("no DKIM key at %s: outbound mail is not signed", path)
            return None
        return cls(path.read_bytes(), settings.dkim_selector, settings.domain)

    def signature(self, raw: bytes) -> bytes:
        """Return the DKIM-Signature header field (folded, CRLF-terminated) for `raw`."""
        field: bytes = dkim.sign(
            raw,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_FIELDS),
            linesep=b"\r\n",
        )
        return field

    def sign(self, raw: bytes) -> bytes:
        """Return `raw` with its DKIM-Signature header field prepended."""
        return self.signature(raw) + raw
