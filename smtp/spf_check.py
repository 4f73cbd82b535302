"""SPF evaluation of the MAIL FROM identity (RFC 7208), with pyspf over our resolver.

pyspf 2.0.14 implements the RFC 7208 evaluation: mechanisms, modifiers, macros, and the
limits of 10 DNS mechanisms and 2 void lookups. Only its DNS access is replaced, so tests
answer from a table and a production lookup goes through the same resolver as the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import spf

from smtp.resolver import DnsTemporaryError, NoSuchDomain, Resolver

QUERY_SECONDS = 20  # per-lookup timeout handed to pyspf; our resolver applies its own


@dataclass(frozen=True)
class SpfResult:
    """The outcome for one identity: pass, fail, softfail, neutral, none, temperror, permerror."""

    result: str
    identity: str  # "mailfrom", or "helo" for the null reverse-path (RFC 7208 2.4)
    domain: str
    explanation: str


class _Query(spf.query):  # type: ignore[misc]
    """pyspf's query with its DNS lookups sent to a `Resolver`."""

    def __init__(self, resolver: Resolver, **arguments: Any) -> None:
        self.resolver = resolver
        super().__init__(**arguments)

    def dns(
        self, name: str, qtype: str, cnames: Any = None, ignore_void: bool = False
    ) -> list[Any]:
        name = str(name).rstrip(".")
        try:
            records = self.resolver.lookup(name, qtype)
        except NoSuchDomain:
            records = []
        except DnsTemporaryError as error:
            raise spf.TempError(f"DNS {error}") from None
        found = [_pyspf_form(qtype, record) for record in records]
        if not found and not ignore_void:
            # RFC 7208 4.6.4: more than two lookups that find nothing is a permerror.
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return found


def _pyspf_form(qtype: str, record: str) -> Any:
    """Return a record in the shape pyspf's own DNS drivers produce."""
    if qtype in ("TXT", "SPF"):
        return (record.encode("utf-8"),)
    if qtype == "MX":
        preference, _, exchange = record.partition(" ")
        return (int(preference) if preference.isdigit() else 0, exchange)
    return record


def check_spf(resolver: Resolver, ip: str, mail_from: str, helo: str) -> SpfResult:
    """Evaluate SPF for the reverse-path, or for the HELO name when the path is null."""
    query = _Query(resolver, i=ip, s=mail_from, h=helo, timeout=QUERY_SECONDS)
    result, _code, explanation = query.check()
    identity = "mailfrom" if mail_from else "helo"
    domain = mail_from.rpartition("@")[2] if mail_from else helo
    return SpfResult(str(result), identity, domain.lower(), str(explanation))
