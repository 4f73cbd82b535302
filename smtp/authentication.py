"""SPF, DKIM and DMARC for one inbound message, reported as Authentication-Results (RFC 8601).

The checks do blocking DNS lookups, so the MX runs `authenticate` in a worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from smtp.dkim_check import DkimResult, check_dkim
from smtp.dmarc import DmarcResult, evaluate_dmarc
from smtp.resolver import FailFastResolver, Resolver
from smtp.spf_check import SpfResult, check_spf

_TOKEN = re.compile(r"[A-Za-z0-9._\-]+")
_FIELD = re.compile(rb"[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*")


@dataclass(frozen=True)
class Verdict:
    """The outcome of the checks for one message."""

    spf: SpfResult
    dkim: list[DkimResult]
    dmarc: DmarcResult
    from_domains: list[str]  # domains of the From: addresses, lower case

    def header(self, hostname: str) -> bytes:
        """Return the Authentication-Results field, folded, CRLF-ended (RFC 8601 2.2)."""
        spf_property = "smtp.mailfrom" if self.spf.identity == "mailfrom" else "smtp.helo"
        results = [f"spf={self.spf.result} {spf_property}={_value(self.spf.domain)}"]
        results.extend(
            f"dkim={r.result} header.d={_value(r.domain)} header.s={_value(r.selector)}"
            for r in self.dkim
        )
        if not self.dkim:
            results.append("dkim=none")
        dmarc = f"dmarc={self.dmarc.result}"
        if self.dmarc.policy:
            dmarc += f" (p={self.dmarc.policy} dis={self.dmarc.disposition})"
        if len(self.from_domains) == 1:
            dmarc += f" header.from={_value(self.from_domains[0])}"
        results.append(dmarc)
        return (
            f"Authentication-Results: {hostname};\r\n\t" + ";\r\n\t".join(results) + "\r\n"
        ).encode()


def _value(text: str) -> str:
    """Return `text` as an RFC 8601 value: a token, or a quoted string."""
    if _TOKEN.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def from_domains(raw: bytes) -> list[str]:
    """Return the domains of every From: address, lower case, in order, without repeats."""
    header = BytesHeaderParser(policy=compat32).parsebytes(raw)
    values = [str(value) for value in header.get_all("From", [])]
    domains = [address.rpartition("@")[2].lower() for _name, address in getaddresses(values)]
    return list(dict.fromkeys(domain for domain in domains if domain))


def authenticate(resolver: Resolver, *, ip: str, helo: str, mail_from: str, raw: bytes) -> Verdict:
    """Run SPF, DKIM and DMARC for a message received from `ip`."""
    resolver = FailFastResolver(resolver)
    spf = check_spf(resolver, ip, mail_from, helo)
    dkim = check_dkim(resolver, raw)
    domains = from_domains(raw)
    if len(domains) == 1:
        dmarc = evaluate_dmarc(resolver, domains[0], spf, dkim)
    elif domains:
        # RFC 7489 6.6.1: several author domains cannot be evaluated as one.
        dmarc = DmarcResult("permerror", "", "none")
    else:
        dmarc = DmarcResult("none", "", "none")
    return Verdict(spf, dkim, dmarc, domains)


def remove_own_results(raw: bytes, hostname: str) -> bytes:
    """Remove Authentication-Results fields that claim to come from `hostname` (RFC 8601 5).

    Only the header is touched; a message without such fields is returned unchanged.
    """
    end = raw.find(b"\r\n\r\n")
    header, body = (raw, b"") if end == -1 else (raw[: end + 2], raw[end + 2 :])
    claim = re.compile(
        rb"authentication-results:[ \t\r\n]*" + re.escape(hostname.encode()) + rb"[ \t\r\n]*(;|$)",
        re.IGNORECASE,
    )
    fields = _FIELD.findall(header)
    if b"".join(fields) != header:
        return raw  # not a plain CRLF header: leave it exactly as received
    kept = [field for field in fields if not claim.match(field)]
    if len(kept) == len(fields):
        return raw
    return b"".join(kept) + body
