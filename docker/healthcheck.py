"""Container health check: the SMTP, IMAP and admin HTTP listeners each reply correctly.

Speaks a few protocol lines to each listener on the loopback address, with the ports the
appliance itself reads from its settings, and exits 0 only when every check passed.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
from pathlib import Path

from appliance.config import load_settings

TIMEOUT = 5.0  # seconds per check


def check_smtp(port: int) -> None:
    """Expect a 220 greeting and a 250 reply to NOOP (RFC 5321 sections 4.2 and 4.1.1.9)."""
    with socket.create_connection(("127.0.0.1", port), TIMEOUT) as connection:
        reader = connection.makefile("rb")
        greeting = reader.readline()
        if not greeting.startswith(b"220"):
            raise RuntimeError(f"SMTP greeting {greeting!r}")
        connection.sendall(b"NOOP\r\n")
        reply = reader.readline()
        if not reply.startswith(b"250"):
            raise RuntimeError(f"SMTP NOOP reply {reply!r}")
        connection.sendall(b"QUIT\r\n")


def check_imap(port: int) -> None:
    """Expect an untagged OK greeting and a tagged OK to LOGOUT (RFC 3501 section 7.1.1)."""
    with socket.create_connection(("127.0.0.1", port), TIMEOUT) as connection:
        reader = connection.makefile("rb")
        greeting = reader.readline()
        if not greeting.startswith(b"* OK"):
            raise RuntimeError(f"IMAP greeting {greeting!r}")
        connection.sendall(b"h1 LOGOUT\r\n")
        lines = [reader.readline() for _ in range(2)]
        if not lines[1].startswith(b"h1 OK"):
            raise RuntimeError(f"IMAP LOGOUT reply {lines!r}")


def check_http(port: int) -> None:
    """Expect 200 from the admin listener's /health, which checks database and blobs."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"/health status {response.status}: {body[:200]!r}")


def main() -> int:
    settings = load_settings(Path(os.environ.get("APPLIANCE_DATA", "/var/lib/appliance")))
    checks = (
        ("smtp", check_smtp, settings.smtp_port),
        ("imap", check_imap, settings.imap_port),
        ("http", check_http, settings.admin_port),
    )
    failed = False
    for name, check, port in checks:
        try:
            check(port)
        except (OSError, RuntimeError) as error:
            print(f"{name} on port {port}: {error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
