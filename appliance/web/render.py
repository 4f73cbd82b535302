"""Rendering of pages: the Jinja2 environment and the context every page gets.

Each application renders from its own template folder first. A name it does not have is
looked up in the folders passed after it, so a shared template can be overridden by a
file of the same name in the application.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from appliance.web.i18n import Translator, pick_language

# Templates both applications use: the error page and parts of their page frames.
SHARED_TEMPLATES = Path(__file__).parent / "templates"


def make_environment(*folders: Path) -> jinja2.Environment:
    """Create the template environment over `folders`, searched in order.

    Autoescaping is on for every template, and an undefined name fails the page.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(folders)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def request_language(request: Request, cookie: str) -> str:
    """Return the language chosen in the request's language cookie, or Vietnamese."""
    return pick_language(request.cookies.get(cookie))


def here(request: Request) -> str:
    """Return the path and query of the request, to come back to after switching language."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page_context(request: Request, t: Translator) -> dict[str, Any]:
    """Return the context of every page: translator, language, session and CSRF token."""
    signed_in = getattr(request.state, "signed_in", None)
    return {
        "t": t,
        "lang": t.language,
        "signed_in": signed_in,
        "csrf": signed_in.csrf if signed_in else "",
        "back_here": quote(here(request), safe=""),
    }


def render_page(
    templates: jinja2.Environment, template: str, context: dict[str, Any], status: int
) -> HTMLResponse:
    return HTMLResponse(templates.get_template(template).render(context), status_code=status)
