"""Error pages and the sign-in redirect, as exception handlers of a Starlette application.

Both applications handle errors the same way. A missing or expired session redirects to
the sign-in page, and a bad CSRF token gets a 403 page. An HTTP error gets a page by its
status, and any other exception a plain 500 page whose traceback goes to the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from appliance.config import Settings
from appliance.web.i18n import Translator
from appliance.web.middleware import add_missing
from appliance.web.sessions import LoginRequired, clear_cookie

log = logging.getLogger("web")

SERVER_ERROR_TEXTS = ("server_error_title", "server_error_text")
# Catalogue keys of the title and text of the error page, by HTTP status, in both
# applications. A 405 shows the not-found texts.
ERROR_TEXTS = {
    400: ("bad_request_title", "bad_request_text"),
    404: ("not_found_title", "not_found_text"),
    405: ("not_found_title", "not_found_text"),
    413: ("too_large_title", "too_large_text"),
}
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


@dataclass(frozen=True)
class ErrorPages:
    """The exception handlers of one application, rendered with its own templates.

    `error_texts` maps an HTTP status to the catalogue keys of the page's title and text,
    and other statuses get the server error texts. `home_key` is the catalogue key of the link
    back to the home page, and `log_label` starts the log line of a failed request.
    """

    settings: Settings
    session_cookie: str
    page_policy: str
    render: Callable[..., HTMLResponse]
    translator: Callable[[Request], Translator]
    error_texts: Mapping[int, tuple[str, str]]
    home_key: str
    log_label: str

    def page(self, request: Request, status: int, title_key: str, text_key: str) -> HTMLResponse:
        """Render `error.html` with the given status and the texts of the two keys."""
        t = self.translator(request)
        context: dict[str, Any] = {
            "title": t(title_key),
            "text": t(text_key),
            "home": t(self.home_key),
        }
        return self.render(request, "error.html", status=status, **context)

    def fixed_page(self, status: int, title_key: str, text_key: str) -> ExceptionHandler:
        """Return a handler that renders one error page, whatever the exception."""

        async def handle(request: Request, error: Exception) -> Response:
            return self.page(request, status, title_key, text_key)

        return handle

    async def login_required(self, request: Request, error: Exception) -> Response:
        """Send the reader to the sign-in page, telling them when their session ran out."""
        expired = isinstance(error, LoginRequired) and error.expired
        response = RedirectResponse("/login?expired=1" if expired else "/login", status_code=303)
        if expired:
            clear_cookie(response, self.settings, self.session_cookie)
        return response

    async def csrf_rejected(self, request: Request, error: Exception) -> Response:
        return self.page(request, 403, "csrf_title", "csrf_text")

    async def http_error(self, request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, HTTPException) else 500
        title_key, text_key = self.error_texts.get(status, SERVER_ERROR_TEXTS)
        return self.page(request, status, title_key, text_key)

    async def server_error(self, request: Request, error: Exception) -> Response:
        """Show a plain 500 page; the traceback goes to the log only.

        This handler runs outside the middleware, so it adds the security headers itself.
        """
        # The server logs the traceback, because Starlette raises the error again after this.
        log.error(
            "%s failed path=%s error=%s", self.log_label, request.url.path, type(error).__name__
        )
        response = self.page(request, 500, *SERVER_ERROR_TEXTS)
        headers = add_missing(list(response.raw_headers), request.url.path, self.page_policy)
        response.raw_headers[:] = headers
        return response
