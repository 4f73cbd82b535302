"""DNS lookups for outbound routing and inbound checks, behind one small interface.

The system resolver uses dnspython. Tests pass a `TableResolver` instead, so no test ever
sends a DNS query. Lookups are synchronous: the SPF and DKIM libraries call them from a
worker thread, and the outbound client runs them with `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

import dns.exception
import dns.resolver

LOOKUP_SECONDS = 10.0  # total time for one lookup, retries included


class DnsError(Exception):
    """A DNS lookup failed."""


class NoSuchDomain(DnsError):
    """The name does not exist (NXDOMAIN)."""


class DnsTemporaryError(DnsError):
    """The lookup timed out or the servers failed (SERVFAIL); it may work later."""


class DnsTimeout(DnsTemporaryError):
    """No answer came in time: the resolver itself may be unreachable."""


class Resolver(Protocol):
    def lookup(self, name: str, rdtype: str) -> list[str]:
        """Return the records of one type as text; [] when the name exists without them.

        A and AAAA give addresses, MX gives "preference exchange", TXT gives the
        character-strings of each record joined. Raises NoSuchDomain or DnsTemporaryError.
        """
        ...


def normalize(name: str) -> str:
    return name.lower().rstrip(".")


class SystemResolver:
    """The host's resolver configuration (/etc/resolv.conf), through dnspython."""

    def __init__(self) -> None:
        self.resolver = dns.resolver.Resolver()
        self.resolver.lifetime = LOOKUP_SECONDS

    def lookup(self, name: str, rdtype: str) -> list[str]:
        try:
            answer = self.resolver.resolve(normalize(name) + ".", rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            raise NoSuchDomain(f"{name} does not exist") from None
        except dns.resolver.NoAnswer:
            return []
        except dns.exception.Timeout as error:
            raise DnsTimeout(f"lookup of {name} {rdtype} timed out: {error}") from None
        except dns.resolver.NoNameservers as error:
            raise DnsTemporaryError(f"lookup of {name} {rdtype} failed: {error}") from None
        except dns.exception.DNSException as error:
            raise DnsTemporaryError(f"lookup of {name} {rdtype} failed: {error}") from None
        return [_record_text(rdtype, record) for record in answer]


def _record_text(rdtype: str, record: object) -> str:
    if rdtype == "TXT":
        strings: Iterable[bytes] = getattr(record, "strings", ())
        return b"".join(strings).decode("utf-8", "replace")
    if rdtype == "MX":
        return f"{getattr(record, 'preference', 0)} {getattr(record, 'exchange', '')}"
    return str(record)


class TableResolver:
    """Answers from a fixed table: for tests, and for a host with no DNS at all.

    `records` maps (name, type) to record texts. A name that appears in the table with
    another type exists without records of the asked type; a name in `failing` times out;
    any other name gets `missing` ("nxdomain" or "servfail").
    """

    def __init__(
        self,
        records: Mapping[tuple[str, str], list[str]] | None = None,
        *,
        failing: Iterable[str] = (),
        missing: str = "nxdomain",
    ) -> None:
        if missing not in ("nxdomain", "servfail"):
            raise ValueError(f"missing must be nxdomain or servfail, not {missing!r}")
        self.records = {
            (normalize(name), rdtype): list(values)
            for (name, rdtype), values in (records or {}).items()
        }
        self.names = {name for name, _rdtype in self.records}
        self.failing = {normalize(name) for name in failing}
        self.missing = missing
        self.queries: list[tuple[str, str]] = []  # every lookup made, in order

    def lookup(self, name: str, rdtype: str) -> list[str]:
        name = normalize(name)
        self.queries.append((name, rdtype))
        if name in self.failing:
            raise DnsTimeout(f"lookup of {name} {rdtype} timed out")
        if (name, rdtype) in self.records:
            return list(self.records[(name, rdtype)])
        if name in self.names:
            return []
        if self.missing == "servfail":
            raise DnsTemporaryError(f"lookup of {name} {rdtype} failed: SERVFAIL")
        raise NoSuchDomain(f"{name} does not exist")


class FailFastResolver:
    """A resolver for the checks of one message that stops after the first timeout.

    Every lookup after a timeout fails at once, so while DNS is unreachable a message
    costs one timeout instead of one per lookup.
    """

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.timed_out: DnsTimeout | None = None

    def lookup(self, name: str, rdtype: str) -> list[str]:
        if self.timed_out is not None:
            raise DnsTimeout(f"lookup of {name} {rdtype} skipped after a timeout")
        try:
            return self.resolver.lookup(name, rdtype)
        except DnsTimeout as error:
            self.timed_out = error
            raise
