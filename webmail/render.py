"""Rendering of the webmail's pages, with the context of `appliance.web.render`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from appliance.web import render as pages
from webmail.i18n import Translator
from webmail.state import webmail

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_COOKIE = "lang"
# Every page warns of the password's expiry from this long before it.
EXPIRY_WARNING = timedelta(days=14)


def make_environment() -> jinja2.Environment:
    return pages.make_environment(TEMPLATES, pages.SHARED_TEMPLATES)


def request_translator(request: Request) -> Translator:
    """Return the translator of the language chosen in the request's cookie."""
    language = pages.request_language(request, LANGUAGE_COOKIE)
    return Translator.for_language(webmail(request).catalogues, language)


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
    page = pages.page_context(request, request_translator(request))
    page.update(password_expires=password_expiry(request))
    page.update(context)
    return pages.render_page(webmail(request).templates, template, page, status)
