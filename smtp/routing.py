"""Where mail for a domain goes: the smarthost, an override, or the domain's MX hosts.

MX lookup follows RFC 5321 section 5.1: hosts in order of preference (ties shuffled), the
domain's own A/AAAA addresses when it has no MX record ("implicit MX"), and a null MX
(RFC 7505) as a permanent failure.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
from dataclasses import dataclass
from itertools import groupby

from appliance.config import Settings
from smtp.resolver import DnsTemporaryError, NoSuchDomain, Resolver, normalize

SMTP_PORT = 25
MAX_HOPS = 10  # addresses tried per destination, as Postfix's smtp_mx_address_limit default


@dataclass(frozen=True)
class Hop:
    """One server to try: its name (for TLS and logs), the address to connect to, the port."""

    host: str
    address: str
    port: int


class RouteFailure(Exception):
    """No server can be tried: a DNS failure, a null MX, or a domain that does not exist."""

    def __init__(self, code: int, enhanced: str, text: str) -> None:
        super().__init__(text)
        self.code = code  # 0 for a temporary failure, 550 or 556 for a permanent one
        self.enhanced = enhanced
        self.text = text


def split_host_port(text: str, default_port: int) -> tuple[str, int]:
    """Split "host:port", "[v6]:port" or a bare host; raise ValueError on a bad port."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise ValueError(f"missing host in {text!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"invalid port in {text!r}")
    return host, int(port_text)


def parse_overrides(entries: tuple[str, ...]) -> dict[str, tuple[str, int]]:
    """Parse `dns_overrides` entries "domain=host:port" into a map by domain."""
    overrides = {}
    for entry in entries:
        domain, separator, target = entry.partition("=")
        if not separator or not domain.strip():
            raise ValueError(f"dns_overrides entry {entry!r} is not domain=host:port")
        overrides[normalize(domain.strip())] = split_host_port(target, SMTP_PORT)
    return overrides


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Router:
    """Finds the servers to try for a domain, in order."""

    def __init__(self, settings: Settings, resolver: Resolver, port: int = SMTP_PORT) -> None:
        self.resolver = resolver
        self.port = port  # port of MX hosts: 25, except in tests
        self.overrides = parse_overrides(settings.dns_overrides)
        self.smarthost = (
            split_host_port(settings.smarthost, SMTP_PORT) if settings.smarthost else None
        )

    async def hops(self, domain: str) -> list[Hop]:
        """Return the servers to try for `domain`; raise RouteFailure when there are none."""
        domain = normalize(domain)
        if self.smarthost is not None:
            return await self._fixed(*self.smarthost)
        if domain in self.overrides:
            return await self._fixed(*self.overrides[domain])
        return await asyncio.to_thread(self._mx_hops, domain)

    async def _fixed(self, host: str, port: int) -> list[Hop]:
        if is_ip_address(host):
            return [Hop(host, host, port)]
        addresses = await asyncio.to_thread(self._addresses, host)
        if not addresses:
            raise RouteFailure(0, "4.4.4", f"{host} has no address")
        return [Hop(host, address, port) for address in addresses][:MAX_HOPS]

    def _mx_hops(self, domain: str) -> list[Hop]:
        try:
            records = self.resolver.lookup(domain, "MX")
        except NoSuchDomain:
            raise RouteFailure(550, "5.1.2", f"Domain {domain} does not exist") from None
        except DnsTemporaryError as error:
            raise RouteFailure(0, "4.4.3", f"MX lookup failed: {error}") from None
        hosts = self._mx_hosts(domain, records)
        hops: list[Hop] = []
        temporary = None
        for host in hosts:
            try:
                hops.extend(Hop(host, address, self.port) for address in self._addresses(host))
            except DnsTemporaryError as error:
                temporary = error
            if len(hops) >= MAX_HOPS:
                break
        if hops:
            return hops[:MAX_HOPS]
        reason = f": {temporary}" if temporary else ""
        raise RouteFailure(0, "4.4.4", f"No address found for the mail hosts of {domain}{reason}")

    def _mx_hosts(self, domain: str, records: list[str]) -> list[str]:
        """Return MX host names by preference (RFC 5321 5.1); raise for a null MX."""
        parsed = []
        for record in records:
            preference, _, exchange = record.partition(" ")
            if preference.isdigit():
                parsed.append((int(preference), normalize(exchange)))
        if not parsed:
            return [domain]  # implicit MX: the domain's own addresses
        if any(exchange == "" for _preference, exchange in parsed):
            raise RouteFailure(556, "5.1.10", f"Domain {domain} does not accept mail (null MX)")
        parsed.sort()
        hosts = []
        for _preference, group in groupby(parsed, key=lambda item: item[0]):
            same = [exchange for _p, exchange in group]
            random.shuffle(same)  # RFC 5321 5.1: spread load over equal preferences
            hosts.extend(same)
        return list(dict.fromkeys(hosts))

    def _addresses(self, host: str) -> list[str]:
        """Return the IPv4 then IPv6 addresses of `host`; [] if it has none."""
        addresses = []
        for rdtype in ("A", "AAAA"):
            try:
                addresses.extend(self.resolver.lookup(host, rdtype))
            except NoSuchDomain:
                return []
        return addresses
