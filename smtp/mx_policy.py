"""What the MX decides about a message from another server before storing it.

- A reverse-path or From: address in a local domain is rejected unless the client is in
  `trusted_networks`: the city's own people send through authenticated submission, so
  such mail from outside is forged (the reasoning of RFC 7489, applied before DMARC).
  A From: field whose decoded display text is or contains a local address is rejected
  the same way, because a reader cannot tell that text from the address.
  The null reverse-path of bounces stays allowed.
- SPF, DKIM and DMARC are evaluated and written as Authentication-Results. A DMARC `reject`
  policy is applied with `550 5.7.1`, `quarantine` by storing the message in Junk. A DNS
  failure never leads to a rejection.
- Return-Path (RFC 5321 4.4) records the reverse-path at this final delivery.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass

from appliance.config import Settings
from appliance.errors import ApplianceError
from appliance.mime.authors import display_domains
from smtp.authentication import Verdict, authenticate, remove_own_results
from smtp.resolver import Resolver

log = logging.getLogger("smtp")

LOCAL_SENDER = "550 5.7.1 Mail from a local domain must be sent through authenticated submission"


class LocalSenderRejected(ApplianceError):
    """An unauthenticated client used a local address as the sender."""

    smtp_reply = (550, LOCAL_SENDER[4:])


@dataclass(frozen=True)
class Inspection:
    """The decision on one message: headers to prepend, the folder, or a rejection."""

    prefix: bytes = b""  # header fields to put before the Received field
    content: bytes = b""  # the message as it will be stored after the trace fields
    folder: str = "INBOX"
    rejection: str | None = None


def return_path(mail_from: str) -> bytes:
    """Return the Return-Path field for a reverse-path ("" is the null path, `<>`)."""
    return f"Return-Path: <{mail_from}>\r\n".encode()


class MXPolicy:
    """The checks of the MX listener, with their DNS resolver."""

    def __init__(self, settings: Settings, resolver: Resolver) -> None:
        self.settings = settings
        self.resolver = resolver
        self.trusted = [
            ipaddress.ip_network(net, strict=False) for net in settings.trusted_networks
        ]

    def is_trusted(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def is_local_address(self, address: str) -> bool:
        return "@" in address and self.settings.is_local_domain(address.rpartition("@")[2])

    def check_sender(self, ip: str, address: str) -> None:
        """Raise LocalSenderRejected for a local reverse-path from an untrusted client."""
        if self.is_local_address(address) and not self.is_trusted(ip):
            raise LocalSenderRejected()

    async def inspect(self, ip: str, helo: str, mail_from: str, content: bytes) -> Inspection:
        """Run the checks on a received message and decide what happens to it."""
        content = remove_own_results(content, self.settings.hostname)
        verdict = await asyncio.to_thread(
            authenticate, self.resolver, ip=ip, helo=helo, mail_from=mail_from, raw=content
        )
        trusted = self.is_trusted(ip)
        log.info(
            "checks ip=%s spf=%s dkim=%s dmarc=%s disposition=%s",
            ip,
            verdict.spf.result,
            ",".join(r.result for r in verdict.dkim) or "none",
            verdict.dmarc.result,
            verdict.dmarc.disposition,
        )
        if not trusted:
            rejection = self._rejection(verdict, content)
            if rejection is not None:
                return Inspection(rejection=rejection)
        prefix = return_path(mail_from) + verdict.header(self.settings.hostname)
        quarantine = verdict.dmarc.disposition == "quarantine" and not trusted
        return Inspection(prefix, content, "Junk" if quarantine else "INBOX")

    def _rejection(self, verdict: Verdict, content: bytes) -> str | None:
        shown = [*verdict.from_domains, *display_domains(content)]
        if any(self.settings.is_local_domain(domain) for domain in shown):
            return LOCAL_SENDER
        if verdict.dmarc.disposition == "reject":
            domain = verdict.from_domains[0]
            return f"550 5.7.1 Message rejected by the DMARC policy of {domain}"
        return None
