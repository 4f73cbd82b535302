"""Rendering of the console's pages, with the context of `appliance.web.render`."""

from __future__ import annotations

from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from admin.i18n import Translator
from admin.paths import TEMPLATES
from admin.state import console
from appliance.web import render as pages

LANGUAGE_COOKIE = "admin_lang"


def make_environment() -> jinja2.Environment:
    return pages.make_environment(TEMPLATES, pages.SHARED_TEMPLATES)


def request_translator(request: Request) -> Translator:
    language = pages.request_language(request, LANGUAGE_COOKIE)
    return Translator.for_language(console(request).catalogues, language)


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the translator, the signed-in admin and the CSRF token."""
    page = pages.page_context(request, request_translator(request))
    signed_in = page["signed_in"]
    page.update(admin=signed_in.admin if signed_in else None, lifecycle_ready=True)
    page.update(notice="", error="", section="")
    page.update(context)
    return pages.render_page(console(request).templates, template, page, status)
