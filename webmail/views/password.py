"""Changing the password: by choice from the settings, or forced after sign-in.

An account whose password is initial, reset by an admin or expired reaches only this page
until it changes the password (see `webmail.session.require_session`). The rules come
from the core, and each broken rule is shown in the reader's language.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.errors import AuthenticationFailed, PasswordRejected
from appliance.password_policy import describe, min_length
from appliance.web.sessions import check_csrf, client_of, set_cookie
from webmail.render import render, request_translator
from webmail.session import SESSION_COOKIE, SignedIn, require_session
from webmail.state import webmail


def password_form(
    request: Request, signed_in: SignedIn, *, errors: list[str] | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "password.html",
        status=status,
        forced=signed_in.credentials.must_change_password,
        expires=signed_in.credentials.password_expires_at,
        errors=errors or [],
        password_min=min_length(signed_in.session.account.kind) - 1,
        notice="",
        error="",
    )


async def password_page(request: Request) -> Response:
    signed_in = await require_session(request, password_page=True)
    return password_form(request, signed_in)


async def change_password(request: Request) -> Response:
    """Change the password, then end every other session of the account.

    The reader keeps working in a new session, so a session opened with the old password
    elsewhere (a shared computer, a stolen cookie) ends here.
    """
    signed_in = await require_session(request, password_page=True)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    core = webmail(request).core
    t = request_translator(request)
    account = signed_in.session.account
    current = str(form.get("current_password") or "")
    new = str(form.get("new_password") or "")
    if new != str(form.get("confirm_password") or ""):
        return password_form(request, signed_in, errors=[t("password_mismatch")], status=400)
    client = client_of(request)
    try:
        await core.credentials.change_password(account.id, current, new, client)
    except AuthenticationFailed:
        return password_form(request, signed_in, errors=[t("current_password_wrong")], status=400)
    except PasswordRejected as rejected:
        errors = [describe(rule, account.kind, t.language) for rule in rejected.rules]
        return password_form(request, signed_in, errors=errors, status=400)
    await core.web_sessions.revoke_all(account.id)
    token = await core.web_sessions.create(
        account.id, client=client, user_agent=request.headers.get("user-agent", "")
    )
    forced = signed_in.credentials.must_change_password
    target = "/?notice=password_changed" if forced else "/settings?notice=password_changed"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, core.settings, SESSION_COOKIE, token)
    return response
