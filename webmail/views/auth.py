"""Signing in and out, and the choice of language."""

from __future__ import annotations

from itsdangerous import BadData
from starlette.requests import Request
from starlette.responses import Response

from appliance.errors import AuthenticationFailed
from appliance.store.types import AccountInfo
from appliance.web import signin
from appliance.web.sessions import (
    check_csrf,
    check_login_token,
    clear_cookie,
    client_of,
    cookie_name,
    new_login_token,
    set_cookie,
)

# Re-exported: the open-redirect check is tested through the webmail's view module.
from appliance.web.signin import local_path as local_path
from webmail.render import LANGUAGE_COOKIE, render, request_translator
from webmail.session import SESSION_COOKIE, require_session
from webmail.state import webmail

LOGIN_COOKIE = "login"
PENDING_COOKIE = "pending"  # the account between the password and the second step
COOKIES = signin.SignInCookies(session=SESSION_COOKIE, login=LOGIN_COOKIE, pending=PENDING_COOKIE)
PENDING_MAX_AGE = 300  # seconds to enter the code
MAX_CODE_ATTEMPTS = 5  # wrong codes before the password must be entered again


async def login_page(request: Request) -> Response:
    """Show the sign-in form, with a fresh double-submit token in a cookie."""
    home = await signin.home_if_signed_in(request, require_session)
    if home is not None:
        return home
    return login_form(request, notice=signin.expired_notice(request, request_translator(request)))


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
    check_login_token(request, form, core.settings, LOGIN_COOKIE)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    client = client_of(request)
    try:
        if not username or not password:
            raise AuthenticationFailed()
        account = await core.auth.login(username, password, service="web", client=client)
    except AuthenticationFailed:
        t = request_translator(request)
        return login_form(request, error=t("login_failed"), username=username)
    status = await core.auth.status(account.id)
    if status.totp_enabled:
        return code_form(request, pending_token(request, account.id, attempts=0))
    return await start_session(request, account)


async def start_session(request: Request, account: AccountInfo) -> Response:
    """Create the server-side session and set its cookie."""
    core = webmail(request).core
    response = await signin.open_session(
        request, core, account.id, COOKIES, client=client_of(request)
    )
    request.state.account = account.address
    return response


def pending_token(request: Request, account_id: int, attempts: int) -> str:
    """Sign the account that passed the password step, for the second step only."""
    return webmail(request).signer.dumps([account_id, attempts])


def code_form(request: Request, pending: str, *, error: str = "") -> Response:
    settings = webmail(request).core.settings
    login_token = new_login_token()
    response = render(request, "login_code.html", login_token=login_token, notice="", error=error)
    set_cookie(response, settings, LOGIN_COOKIE, login_token)
    set_cookie(response, settings, PENDING_COOKIE, pending, max_age=PENDING_MAX_AGE)
    return response


async def login_code(request: Request) -> Response:
    """Check the TOTP or recovery code of an account whose password was right."""
    core = webmail(request).core
    form = await request.form()
    check_login_token(request, form, core.settings, LOGIN_COOKIE)
    t = request_translator(request)
    try:
        account_id, attempts = webmail(request).signer.loads(
            request.cookies.get(cookie_name(core.settings, PENDING_COOKIE), ""),
            max_age=PENDING_MAX_AGE,
        )
    except BadData:
        return login_form(request, notice=t("session_expired"))
    code = str(form.get("code") or "").strip()
    client = client_of(request)
    if code and await core.credentials.verify_second_factor(account_id, code, client):
        return await start_session(request, await core.accounts.by_id(account_id))
    if attempts + 1 >= MAX_CODE_ATTEMPTS:
        response = login_form(request, error=t("login_failed"))
        clear_cookie(response, core.settings, PENDING_COOKIE)
        return response
    pending = pending_token(request, account_id, attempts + 1)
    return code_form(request, pending, error=t("code_failed"))


async def logout(request: Request) -> Response:
    """End the session on the server and remove its cookie."""
    signed_in = await require_session(request, password_page=True)
    core = webmail(request).core
    check_csrf(await request.form(), signed_in.csrf)
    return await signin.close_session(core, signed_in.token, COOKIES)


async def choose_language(request: Request) -> Response:
    """Store the chosen language in a cookie and go back to the page the reader was on."""
    return signin.choose_language(request, webmail(request).core.settings, LANGUAGE_COOKIE)
