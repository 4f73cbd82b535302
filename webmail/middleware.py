"""ASGI middleware of the webmail: Host check, then the shared headers and request log."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from appliance.web.middleware import SecurityMiddleware

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


class WebmailMiddleware(SecurityMiddleware):
    """Reject requests for other hosts with 404, add security headers, log each request."""

    def __init__(self, app: ASGIApp, web_host: str, not_found_text: str) -> None:
        super().__init__(app, PAGE_POLICY, "request")
        self.web_host = web_host
        self.not_found_text = not_found_text.encode("utf-8")

    async def respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        if host_allowed(header_value(scope, b"host"), self.web_host):
            await self.app(scope, receive, send)
        else:
            await self.reject_host(send)

    async def reject_host(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": self.not_found_text})


def header_value(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""
