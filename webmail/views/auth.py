"""Signing in and out, and the choice of language."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.errors import AuthenticationFailed
from webmail.i18n import LANGUAGES
from webmail.render import LANGUAGE_COOKIE, render, request_translator
from webmail.session import (
    LoginRequired,
    check_csrf,
    clear_cookie,
    cookie_name,
    new_login_token,
    require_session,
    set_cookie,
)
from webmail.state import webmail

LOGIN_COOKIE = "login"
SESSION_COOKIE = "session"
ONE_YEAR = 365 * 24 * 3600


async def login_page(request: Request) -> Response:
    """Show the sign-in form, with a fresh double-submit token in a cookie."""
    try:
        await require_session(request)
    except LoginRequired:
        pass
    else:
        return RedirectResponse("/", status_code=303)
    t = request_translator(request)
    expired = request.query_params.get("expired") == "1"
    return login_form(request, notice=t("session_expired") if expired else "")


def login_form(
    request: Request, *, notice: str = "", error: str = "", username: str = ""
) -> Response:
    settings = webmail(request).core.settings
    token = new_login_token()
    response = render(
        request, "login.html", login_token=token, notice=notice, error=error, username=username
    )
    set_cookie(response, settings, LOGIN_COOKIE, token)
    return response


async def login(request: Request) -> Response:
    """Check the password with the core's authentication service and start a session.

    Every failure shows the same message, so the page does not tell whether the account
    exists.
    """
    core = webmail(request).core
    form = await request.form()
    check_csrf(form, request.cookies.get(cookie_name(core.settings, LOGIN_COOKIE), ""))
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    client = request.client.host if request.client else ""
    try:
        if not username or not password:
            raise AuthenticationFailed()
        account = await core.auth.login(username, password, service="web", client=client)
    except AuthenticationFailed:
        t = request_translator(request)
        return login_form(request, error=t("login_failed"), username=username)
    token = await core.web_sessions.create(
        account.id, client=client, user_agent=request.headers.get("user-agent", "")
    )
    request.state.account = account.address
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, core.settings, SESSION_COOKIE, token)
    clear_cookie(response, core.settings, LOGIN_COOKIE)
    return response


async def logout(request: Request) -> Response:
    """End the session on the server and remove its cookie."""
    signed_in = await require_session(request)
    core = webmail(request).core
    check_csrf(await request.form(), signed_in.csrf)
    await core.web_sessions.revoke(signed_in.token)
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, core.settings, SESSION_COOKIE)
    return response


async def choose_language(request: Request) -> Response:
    """Store the chosen language in a cookie and go back to the page the reader was on."""
    language = request.path_params["language"]
    response = RedirectResponse(local_path(request.query_params.get("next", "/")), 303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=ONE_YEAR,
            path="/",
            secure=webmail(request).core.settings.secure_cookies,
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
