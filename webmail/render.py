"""Rendering of pages: the Jinja2 environment and the context every page gets."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from webmail.i18n import Translator, pick_language, translator
from webmail.state import webmail

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_COOKIE = "lang"
# Every page warns of the password's expiry from this long before it.
EXPIRY_WARNING = timedelta(days=14)


def make_environment() -> jinja2.Environment:
    """Create the template environment; autoescaping is on for every template."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def request_translator(request: Request) -> Translator:
    """Return the translator of the language chosen in the request's cookie."""
    language = pick_language(request.cookies.get(LANGUAGE_COOKIE))
    return translator(webmail(request).catalogues, language)


def here(request: Request) -> str:
    """Return the path and query of the request, to come back to after switching language."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def password_expiry(request: Request) -> datetime | None:
    """Return when the signed-in account's password expires, if that is 14 days away or less.

    An account that must change its password now sees the password page instead.
    """
    signed_in = getattr(request.state, "signed_in", None)
    if signed_in is None:
        return None
    status = signed_in.credentials
    if status.must_change_password or status.password_expires_at is None:
        return None
    now = webmail(request).core.clock.now()
    return (
        status.password_expires_at if status.password_expires_at - now <= EXPIRY_WARNING else None
    )


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the translator, language, session and CSRF token in its context."""
    t = request_translator(request)
    signed_in = getattr(request.state, "signed_in", None)
    page = (
        webmail(request)
        .templates.get_template(template)
        .render(
            t=t,
            lang=t.language,
            signed_in=signed_in,
            csrf=signed_in.csrf if signed_in else "",
            back_here=quote(here(request), safe=""),
            password_expires=password_expiry(request),
            **context,
        )
    )
    return HTMLResponse(page, status_code=status)
