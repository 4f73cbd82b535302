"""ASGI middleware of both web applications: security headers and one log line a request.

Each application passes its own Content-Security-Policy and log label; the other headers
are the same for both. Handlers that set a header themselves (the webmail's message frame
sets its own policy) keep their value.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("web")

Headers = list[tuple[bytes, bytes]]


def security_headers(path: str, page_policy: str) -> Headers:
    """Return the headers every response gets unless the handler set its own."""
    cache = b"public, max-age=3600" if path.startswith("/static/") else b"no-store"
    return [
        (b"content-security-policy", page_policy.encode("ascii")),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", cache),
    ]


def add_missing(headers: Headers, path: str, page_policy: str) -> Headers:
    """Append to `headers` each security header whose name is not in them yet."""
    present = {key.lower() for key, _ in headers}
    headers.extend(item for item in security_headers(path, page_policy) if item[0] not in present)
    return headers


class SecurityMiddleware:
    """Add the security headers to every response and log each request at INFO.

    Subclasses may override `respond` to handle some requests themselves. Those responses
    get the headers and the log line too.
    """

    def __init__(self, app: ASGIApp, page_policy: str, log_label: str) -> None:
        self.app = app
        self.page_policy = page_policy
        self.log_label = log_label

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        logged = False

        async def send_with_headers(message: Message) -> None:
            nonlocal logged
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = add_missing(headers, path, self.page_policy)
                # Logged before the response leaves, so the line never trails the reply.
                log_request(self.log_label, scope, message["status"])
                logged = True
            await send(message)

        try:
            await self.respond(scope, receive, send_with_headers)
        finally:
            if not logged:
                log_request(self.log_label, scope, 500)

    async def respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def log_request(label: str, scope: Scope, status: int) -> None:
    """Log the request's method, path, status, signed-in account and client address."""
    state: dict[str, Any] = scope.get("state") or {}
    client = scope.get("client") or ("-", 0)
    log.info(
        "%s method=%s path=%s status=%d account=%s client=%s",
        label,
        scope.get("method", "-"),
        scope.get("path", "-"),
        status,
        state.get("account", "-"),
        client[0],
    )
