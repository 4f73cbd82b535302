"""DKIM verification of inbound mail (RFC 6376) with dkimpy, keys looked up by our resolver."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from smtp.resolver import DnsTemporaryError, NoSuchDomain, Resolver

MAX_SIGNATURES = 5  # signatures checked per message; more only cost DNS lookups and time

# dkimpy logs every failed verification at ERROR; the outcome goes to Authentication-Results.
_library_log = logging.getLogger("smtp.dkim.library")
_library_log.setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class DkimResult:
    """One signature's outcome: pass, fail, temperror or permerror (RFC 8601 2.7.1)."""

    result: str
    domain: str  # d=
    selector: str  # s=


def check_dkim(resolver: Resolver, raw: bytes) -> list[DkimResult]:
    """Verify each DKIM-Signature of `raw` (the first few); [] when there is none."""
    try:
        verifier = dkim.DKIM(raw, logger=_library_log, minkey=1024)
    except dkim.DKIMException:
        return []
    signatures = [value for name, value in verifier.headers if name.lower() == b"dkim-signature"]
    return [
        _verify_one(resolver, verifier, index, value)
        for index, value in enumerate(signatures[:MAX_SIGNATURES])
    ]


def _verify_one(resolver: Resolver, verifier: dkim.DKIM, index: int, value: bytes) -> DkimResult:
    try:
        tags = parse_tag_value(value)
    except InvalidTagValueList:
        return DkimResult("permerror", "", "")
    domain = tags.get(b"d", b"").decode("ascii", "replace").lower()
    selector = tags.get(b"s", b"").decode("ascii", "replace")
    key_lookup = {"outcome": "found"}

    def txt_record(name: bytes, timeout: int = 5) -> bytes | None:
        try:
            records = resolver.lookup(name.decode("ascii", "replace"), "TXT")
        except NoSuchDomain:
            records = []
        except DnsTemporaryError:
            key_lookup["outcome"] = "temporary"
            return None
        if not records:
            key_lookup["outcome"] = "missing"
            return None
        return records[0].encode("utf-8")

    try:
        verified = verifier.verify(idx=index, dnsfunc=txt_record)
    except dkim.ValidationError:
        return DkimResult("fail", domain, selector)  # e.g. the body hash does not match
    except dkim.DKIMException:
        return DkimResult("permerror", domain, selector)  # a malformed signature or key
    if verified:
        return DkimResult("pass", domain, selector)
    outcome = {"temporary": "temperror", "missing": "permerror"}.get(key_lookup["outcome"], "fail")
    return DkimResult(outcome, domain, selector)
