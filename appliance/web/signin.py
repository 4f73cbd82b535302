"""Parts of signing in and out that the webmail and the admin console share.

The sign-in steps themselves differ, because the console adds a due password change and
two-factor enrolment. Each application keeps its own views and calls these for the first
page, the start and end of a session, and the choice of language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.config import Settings
from appliance.core import Core
from appliance.web.i18n import LANGUAGES, Translator
from appliance.web.sessions import LoginRequired, clear_cookie, set_cookie

ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class SignInCookies:
    """The base names of one application's cookies from sign-in to sign-out."""

    session: str
    login: str  # the double-submit token of the sign-in forms
    pending: str  # the signed state between the password and the last step


async def home_if_signed_in(
    request: Request, require: Callable[[Request], Awaitable[object]]
) -> Response | None:
    """Return a redirect to the home page if `require` accepts the request's session."""
    try:
        await require(request)
    except LoginRequired:
        return None
    return RedirectResponse("/", status_code=303)


def expired_notice(request: Request, t: Translator) -> str:
    """Return the notice of an ended session when the sign-in page was reached after one."""
    return t("session_expired") if request.query_params.get("expired") == "1" else ""


async def open_session(
    request: Request, core: Core, account_id: int, cookies: SignInCookies, *, client: str
) -> Response:
    """Create the server-side session, set its cookie and go to the home page.

    The sign-in cookies are cleared, because the browser no longer needs them.
    """
    token = await core.web_sessions.create(
        account_id, client=client, user_agent=request.headers.get("user-agent", "")
    )
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, core.settings, cookies.session, token)
    clear_cookie(response, core.settings, cookies.login)
    clear_cookie(response, core.settings, cookies.pending)
    return response


async def close_session(core: Core, token: str, cookies: SignInCookies) -> Response:
    """End the session on the server, remove its cookie and go to the sign-in page."""
    await core.web_sessions.revoke(token)
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, core.settings, cookies.session)
    return response


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
