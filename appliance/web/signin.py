"""Parts of signing in that the webmail and the admin console share: the language choice.

The sign-in steps themselves differ (the console adds a due password change and two-factor
enrolment), so each application keeps its own views.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.config import Settings
from appliance.web.i18n import LANGUAGES

ONE_YEAR = 365 * 24 * 3600


def choose_language(request: Request, settings: Settings, cookie: str) -> Response:
    """Store the language of the path in the cookie `cookie` and go back to `next`.

    An unknown language sets nothing; the redirect still happens.
    """
    language = request.path_params["language"]
    response = RedirectResponse(local_path(request.query_params.get("next", "/")), 303)
    if language in LANGUAGES:
        response.set_cookie(
            cookie,
            language,
            max_age=ONE_YEAR,
            path="/",
            secure=settings.secure_cookies,
            httponly=True,
            samesite="strict",
        )
    return response


def local_path(target: str) -> str:
    """Return `target` if it is a path on this site, else "/" (no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target
