"""The DNS records an operator publishes for the appliance, as zone-file lines.

MX (RFC 5321), SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489), MTA-STS (RFC 8461),
TLS-RPT (RFC 8460), and client autoconfiguration names (Thunderbird's autoconfig host and
the SRV records of RFC 6186). The policies start strict but reporting, so an operator
can watch reports before tightening them.
"""

from __future__ import annotations

import hashlib

from appliance.config import Settings
from appliance.dkim_keys import key_path, public_record


def txt(value: str) -> str:
    """Quote a TXT value, split in strings of at most 255 characters (RFC 1035 3.3.14)."""
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)]
    return " ".join(f'"{chunk}"' for chunk in chunks)


def mta_sts_policy(settings: Settings) -> str:
    """Return the body of https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 3.2)."""
    return f"version: STSv1\r\nmode: testing\r\nmx: {settings.hostname}\r\nmax_age: 604800\r\n"


def records(settings: Settings) -> list[str]:
    """Return every record to publish, one zone-file line each."""
    domain = f"{settings.domain}."
    host = f"{settings.hostname}."
    policy_id = hashlib.sha256(mta_sts_policy(settings).encode()).hexdigest()[:16]
    lines = [
        f"{domain} IN MX 10 {host}",
        f"{domain} IN TXT {txt('v=spf1 mx -all')}",
        f"_dmarc.{domain} IN TXT "
        + txt(f"v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:postmaster@{settings.domain}"),
        f"_mta-sts.{domain} IN TXT {txt(f'v=STSv1; id={policy_id}')}",
        f"mta-sts.{domain} IN CNAME {host}",
        f"_smtp._tls.{domain} IN TXT "
        + txt(f"v=TLSRPTv1; rua=mailto:postmaster@{settings.domain}"),
        f"autoconfig.{domain} IN CNAME {host}",
        f"autodiscover.{domain} IN CNAME {host}",
        f"_submissions._tcp.{domain} IN SRV 0 1 465 {host}",
        f"_submission._tcp.{domain} IN SRV 0 1 587 {host}",
        f"_imaps._tcp.{domain} IN SRV 0 1 993 {host}",
        f"_imap._tcp.{domain} IN SRV 0 1 143 {host}",
    ]
    dkim = key_path(settings.data_dir)
    if dkim.exists():
        lines.insert(
            2, f"{settings.dkim_selector}._domainkey.{domain} IN TXT {txt(public_record(dkim))}"
        )
    return lines
