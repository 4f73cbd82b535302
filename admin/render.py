"""Rendering of pages: the Jinja2 environment and the context every page gets."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from admin.i18n import Translator, pick_language, translator
from admin.paths import TEMPLATES
from admin.state import console

LANGUAGE_COOKIE = "admin_lang"


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
    language = pick_language(request.cookies.get(LANGUAGE_COOKIE))
    return translator(console(request).catalogues, language)


def here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the translator, the signed-in admin and the CSRF token."""
    t = request_translator(request)
    signed_in = getattr(request.state, "signed_in", None)
    context.setdefault("notice", "")
    context.setdefault("error", "")
    context.setdefault("section", "")
    page = (
        console(request)
        .templates.get_template(template)
        .render(
            t=t,
            lang=t.language,
            signed_in=signed_in,
            admin=signed_in.admin if signed_in else None,
            csrf=signed_in.csrf if signed_in else "",
            back_here=quote(here(request), safe=""),
            lifecycle_ready=True,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status)
