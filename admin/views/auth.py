"""Signing in: password, then the TOTP code, a due password change and 2FA enrolment.

Between the password and the session, the account and the steps done so far travel in
a short-lived cookie signed by the server. Every step shows the same failure text for
any wrong input, so the pages do not tell whether an account exists or is an admin.
"""

from __future__ import annotations

from typing import Any

import segno
from itsdangerous import BadData
from starlette.requests import Request
from starlette.responses import Response

from admin.render import LANGUAGE_COOKIE, render, request_translator
from admin.session import ADMIN_CLIENT_PREFIX, SESSION_COOKIE, require_admin, require_form
from admin.state import console
from appliance.errors import AuthenticationFailed, InvalidCode, OutOfScope, PasswordRejected
from appliance.password_policy import describe
from appliance.twofactor import provisioning_uri
from appliance.web import signin
from appliance.web.sessions import (
    check_login_token,
    clear_cookie,
    client_of,
    cookie_name,
    new_login_token,
    set_cookie,
)

LOGIN_COOKIE = "admin_login"
PENDING_COOKIE = "admin_pending"
COOKIES = signin.SignInCookies(session=SESSION_COOKIE, login=LOGIN_COOKIE, pending=PENDING_COOKIE)
PENDING_MAX_AGE = 900  # seconds from the password to the end of the last step
MAX_CODE_ATTEMPTS = 5
ISSUER = "Thư công vụ Huế"


async def login_page(request: Request) -> Response:
    home = await signin.home_if_signed_in(request, require_admin)
    if home is not None:
        return home
    notice = signin.expired_notice(request, request_translator(request))
    return step_page(request, "login.html", None, notice=notice)


def step_page(
    request: Request, template: str, pending: dict[str, Any] | None, **context: Any
) -> Response:
    """Render a sign-in step with a fresh double-submit token (and the pending state)."""
    state = console(request)
    token = new_login_token()
    context.setdefault("username", "")
    response = render(request, template, login_token=token, **context)
    set_cookie(response, state.core.settings, LOGIN_COOKIE, token)
    if pending is not None:
        signed = state.signer.dumps(pending)
        set_cookie(response, state.core.settings, PENDING_COOKIE, signed, max_age=PENDING_MAX_AGE)
    return response


async def login(request: Request) -> Response:
    """Check the password with the core and then lead to the next step."""
    core = console(request).core
    form = await request.form()
    check_login_token(request, form, core.settings, LOGIN_COOKIE)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    client = client_of(request)
    t = request_translator(request)
    try:
        if not username or not password:
            raise AuthenticationFailed()
        account = await core.auth.login(username, password, service="admin", client=client)
        await core.admin_scope.identify(account.id)
    except AuthenticationFailed:
        return step_page(request, "login.html", None, error=t("login_failed"), username=username)
    except OutOfScope:
        await core.audit.record(
            "admin_login",
            account=username.lower(),
            client=client,
            service="admin",
            outcome="not_admin",
        )
        return step_page(request, "login.html", None, error=t("login_failed"), username=username)
    return await next_step(request, {"id": account.id, "factor": False, "tries": 0})


async def next_step(request: Request, pending: dict[str, Any]) -> Response:
    """Show the first step the account still owes, or start the session."""
    core = console(request).core
    status = await core.auth.status(pending["id"])
    if status.totp_enabled and not pending.get("factor"):
        return step_page(request, "login_code.html", pending)
    if status.must_change_password:
        return step_page(request, "login_password.html", pending)
    if not status.totp_enabled and not pending.get("skipped"):
        return await enrol_page(request, pending)
    return await start_session(request, pending["id"])


async def enrol_page(request: Request, pending: dict[str, Any], error: str = "") -> Response:
    """Show the QR code and the secret of a new TOTP key (RFC 6238), made once per sign-in."""
    core = console(request).core
    account = await core.accounts.by_id(pending["id"])
    if not pending.get("secret"):
        pending = {**pending, "secret": await core.credentials.begin_totp(account.id)}
    uri = provisioning_uri(pending["secret"], account.address, ISSUER)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#1b1b1b", light="#ffffff")
    secret = pending["secret"]
    return step_page(
        request,
        "login_enrol.html",
        pending,
        qr_svg=qr_svg,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        may_skip=account.kind != "centre_admin",
        error=error,
    )


def load_pending(request: Request) -> dict[str, Any] | None:
    settings = console(request).core.settings
    try:
        found = console(request).signer.loads(
            request.cookies.get(cookie_name(settings, PENDING_COOKIE), ""),
            max_age=PENDING_MAX_AGE,
        )
    except BadData:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("id"), int) else None


async def step_form(request: Request) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Check the double-submit token and return the pending state and the form fields."""
    core = console(request).core
    form = await request.form()
    check_login_token(request, form, core.settings, LOGIN_COOKIE)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return load_pending(request), fields


def start_over(request: Request) -> Response:
    t = request_translator(request)
    response = step_page(request, "login.html", None, notice=t("session_expired"))
    clear_cookie(response, console(request).core.settings, PENDING_COOKIE)
    return response


async def login_code(request: Request) -> Response:
    """Check the TOTP or recovery code of an account whose password was right."""
    pending, fields = await step_form(request)
    if pending is None:
        return start_over(request)
    core = console(request).core
    code = fields.get("code", "").strip()
    if code and await core.credentials.verify_second_factor(
        pending["id"], code, client_of(request)
    ):
        return await next_step(request, {**pending, "factor": True})
    t = request_translator(request)
    tries = int(pending.get("tries", 0)) + 1
    if tries >= MAX_CODE_ATTEMPTS:
        response = step_page(request, "login.html", None, error=t("login_failed"))
        clear_cookie(response, core.settings, PENDING_COOKIE)
        return response
    return step_page(
        request, "login_code.html", {**pending, "tries": tries}, error=t("code_failed")
    )


async def login_password(request: Request) -> Response:
    """Change an initial, reset or expired password before the session starts."""
    pending, fields = await step_form(request)
    if pending is None:
        return start_over(request)
    core = console(request).core
    t = request_translator(request)
    current, new = fields.get("current", ""), fields.get("new", "")
    if new != fields.get("repeat", ""):
        return step_page(request, "login_password.html", pending, error=t("password_mismatch"))
    try:
        await core.credentials.change_password(pending["id"], current, new, client_of(request))
    except AuthenticationFailed:
        return step_page(request, "login_password.html", pending, error=t("password_wrong"))
    except PasswordRejected as rejected:
        kind = (await core.accounts.by_id(pending["id"])).kind
        text = " ".join(describe(rule, kind, t.language) for rule in rejected.rules)
        return step_page(request, "login_password.html", pending, error=text)
    return await next_step(request, pending)


async def login_enrol(request: Request) -> Response:
    """Turn TOTP on with a code from the new key, or skip (unit admins only)."""
    pending, fields = await step_form(request)
    if pending is None or not pending.get("secret"):
        return start_over(request)
    core = console(request).core
    t = request_translator(request)
    account = await core.accounts.by_id(pending["id"])
    if fields.get("skip"):
        if account.kind == "centre_admin":
            return await enrol_page(request, pending, error=t("totp_required"))
        return await next_step(request, {**pending, "skipped": True})
    try:
        codes = await core.credentials.confirm_totp(
            account.id, fields.get("code", ""), client_of(request)
        )
    except InvalidCode:
        return await enrol_page(request, pending, error=t("code_failed"))
    done = {"id": account.id, "factor": True, "tries": 0}
    return step_page(request, "login_recovery.html", done, codes=codes)


async def login_continue(request: Request) -> Response:
    """Go on after the recovery codes were shown."""
    pending, _ = await step_form(request)
    if pending is None:
        return start_over(request)
    return await next_step(request, pending)


async def start_session(request: Request, account_id: int) -> Response:
    client = ADMIN_CLIENT_PREFIX + client_of(request)
    return await signin.open_session(
        request, console(request).core, account_id, COOKIES, client=client
    )


async def logout(request: Request) -> Response:
    signed_in, _ = await require_form(request)
    return await signin.close_session(console(request).core, signed_in.token, COOKIES)


async def choose_language(request: Request) -> Response:
    """Store the chosen language in a cookie and go back to the page the admin was on."""
    return signin.choose_language(request, console(request).core.settings, LANGUAGE_COOKIE)
