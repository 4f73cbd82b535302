"""ASGI middleware of the admin console: the shared security headers and request log.

The headers are those of the webmail (`appliance.web.middleware`). The page policy is
stricter still: the console loads no script at all, and its QR codes and charts are inline
SVG, drawn from data the console made itself.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from appliance.web.middleware import SecurityMiddleware

PAGE_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class AdminMiddleware(SecurityMiddleware):
    """Add the security headers to every response and log each request at INFO."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, PAGE_POLICY, "admin request")
