"""ASGI middleware of the webmail: Host check, security headers and one log line per request."""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("web")

# The pages load scripts, styles and images only from the webmail itself, and never run
# inline script. Scripts may fetch only from the webmail (the directory suggestions of the
# compose form). Message bodies are shown in a sandboxed frame with its own policy (see
# `webmail.views.reading`).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
LOCAL_HOST_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})


def host_allowed(host_header: str, web_host: str) -> bool:
    """Tell whether the Host header names the webmail's host or a loopback name.

    Any port is accepted, so tests and local use can reach the kernel-chosen port.
    """
    host = host_header.strip().lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        name += "]"
        port = rest.removeprefix(":") if rest else ""
        if rest and not rest.startswith(":"):
            return False
    else:
        name, _, port = host.partition(":")
    if port and not port.isdigit():
        return False
    return name == web_host.lower().rstrip(".") or name in LOCAL_HOST_NAMES


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """Return the headers every response gets unless the handler set its own."""
    cache = b"public, max-age=3600" if path.startswith("/static/") else b"no-store"
    return [
        (b"content-security-policy", PAGE_POLICY.encode("ascii")),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", cache),
    ]


class WebmailMiddleware:
    """Reject requests for other hosts with 404, add security headers, log each request."""

    def __init__(self, app: ASGIApp, web_host: str, not_found_text: str) -> None:
        self.app = app
        self.web_host = web_host
        self.not_found_text = not_found_text.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        logged = False

        async def send_with_headers(message: Message) -> None:
            nonlocal logged
            if message["type"] == "http.response.start":
                message["headers"] = add_missing(list(message.get("headers", [])), path)
                # Logged before the response leaves, so the line never trails the reply.
                log_request(scope, message["status"])
                logged = True
            await send(message)

        host = header_value(scope, b"host")
        try:
            if not host_allowed(host, self.web_host):
                await self.reject_host(send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            if not logged:
                log_request(scope, 500)

    async def reject_host(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": self.not_found_text})


def log_request(scope: Scope, status: int) -> None:
    state: dict[str, Any] = scope.get("state") or {}
    client = scope.get("client") or ("-", 0)
    log.info(
        "request method=%s path=%s status=%d account=%s client=%s",
        scope.get("method", "-"),
        scope.get("path", "-"),
        status,
        state.get("account", "-"),
        client[0],
    )


def header_value(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def add_missing(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    present = {key.lower() for key, _ in headers}
    headers.extend(item for item in security_headers(path) if item[0] not in present)
    return headers
