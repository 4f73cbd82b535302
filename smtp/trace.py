"""The Received header field added to every accepted message (RFC 5321 section 4.4)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime

# Characters kept from the client's HELO or EHLO name: those of a domain or an address
# literal. Anything else could be read as a comment or clause by trace parsers.
_HELO_UNSAFE = re.compile(r"[^A-Za-z0-9.\-_:\[\]]")
MAX_HELO_LENGTH = 255  # maximum length of a domain name (RFC 1035 section 2.3.4)


def protocol_name(*, extended: bool, tls: bool, authenticated: bool, smtputf8: bool) -> str:
    """Return the `with` keyword: SMTP, ESMTP[S][A] (RFC 3848) or UTF8SMTP[S][A] (RFC 6531)."""
    if not extended:
        return "SMTP"
    name = "UTF8SMTP" if smtputf8 else "ESMTP"
    if tls:
        name += "S"
    if authenticated:
        name += "A"
    return name


def address_literal(ip: str) -> str:
    """Return the RFC 5321 section 4.1.3 address literal of an IP address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "[unknown]"
    if address.version == 6:
        mapped = address.ipv4_mapped
        return f"[{mapped}]" if mapped is not None else f"[IPv6:{address.compressed}]"
    return f"[{address}]"


def clean_helo(helo: str | None) -> str:
    """Return the HELO name limited to domain and address-literal characters."""
    cleaned = _HELO_UNSAFE.sub("", helo or "")[:MAX_HELO_LENGTH]
    return cleaned or "unknown"


def received_header(
    *,
    helo: str | None,
    peer_ip: str,
    hostname: str,
    protocol: str,
    tls: str | None,
    queue_id: str,
    recipients: Sequence[str],
    date: datetime,
) -> bytes:
    """Build a folded Received header field, CRLF line endings, ready to prepend.

    The `for` clause names the recipient only when there is exactly one, so a message
    to several people does not tell each of them who else received it.
    """
    tls_comment = f" ({tls})" if tls else ""
    lines = [
        f"Received: from {clean_helo(helo)} ({address_literal(peer_ip)})",
        f"\tby {hostname} with {protocol}{tls_comment} id {queue_id}",
    ]
    stamp = format_datetime(date)
    if len(recipients) == 1:
        lines.append(f"\tfor <{recipients[0]}>; {stamp}")
    else:
        lines[-1] += ";"
        lines.append(f"\t{stamp}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
