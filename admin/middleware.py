"""ASGI middleware of the admin console: security headers and one log line per request.

The headers are those of the webmail. The page policy is stricter still: the console
loads no script at all, and its QR codes and charts are inline SVG, drawn from data the
console made itself.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("web")

PAGE_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


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


def add_missing(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    present = {key.lower() for key, _ in headers}
    headers.extend(item for item in security_headers(path) if item[0] not in present)
    return headers


class AdminMiddleware:
    """Add the security headers to every response and log each request at INFO."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
                log_request(scope, message["status"])
                logged = True
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if not logged:
                log_request(scope, 500)


def log_request(scope: Scope, status: int) -> None:
    state: dict[str, Any] = scope.get("state") or {}
    client = scope.get("client") or ("-", 0)
    log.info(
        "admin request method=%s path=%s status=%d account=%s client=%s",
        scope.get("method", "-"),
        scope.get("path", "-"),
        status,
        state.get("account", "-"),
        client[0],
    )
