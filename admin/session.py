"""The signed-in admin of a request, the session cookie and the CSRF token of forms.

Sessions are the core's server-side web sessions. The cookie is named `admin_session`,
apart from the webmail's, because browsers send cookies to every port of a host. A
session counts for the console only if the console created it (see `ADMIN_CLIENT_PREFIX`),
so a webmail session of an admin account, which skipped the console's checks, is refused.
The CSRF token of a session is an HMAC of its token; the sign-in forms, which have no
session yet, use a double-submit token kept in a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.state import console
from appliance.admin_scope import AdminIdentity
from appliance.config import Settings
from appliance.errors import OutOfScope
from appliance.websessions import WebSessionInfo

CSRF_FIELD = "csrf_token"
SESSION_COOKIE = "admin_session"
# Marks sessions of the console in the session's client field, which holds an IP address
# and so can never start with this text for a webmail session.
# NOTE: a service column on web_sessions would be the cleaner mark.
ADMIN_CLIENT_PREFIX = "admin "
TOUCH_INTERVAL = timedelta(minutes=1)


class LoginRequired(Exception):
    """The request needs a signed-in admin and has none (or the session ended)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfRejected(Exception):
    """A POST form came without the right CSRF token."""


@dataclass(frozen=True)
class SignedIn:
    session: WebSessionInfo
    token: str
    csrf: str
    admin: AdminIdentity


def cookie_name(settings: Settings, base: str) -> str:
    """Return the cookie name, with the `__Host-` prefix when cookies are Secure."""
    return f"__Host-{base}" if settings.secure_cookies else base


def csrf_for(token: str) -> str:
    return hmac.new(token.encode("ascii"), b"admin-csrf", hashlib.sha256).hexdigest()


def set_cookie(
    response: Response, settings: Settings, base: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        cookie_name(settings, base),
        value,
        max_age=max_age,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, settings: Settings, base: str) -> None:
    response.delete_cookie(
        cookie_name(settings, base),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


async def require_admin(request: Request) -> SignedIn:
    """Return the signed-in admin of the request, or raise LoginRequired.

    The account must still be an active admin, with no password change due, and a centre
    admin must still have two-factor login on.
    """
    core = console(request).core
    token = request.cookies.get(cookie_name(core.settings, SESSION_COOKIE))
    if not token:
        raise LoginRequired(expired=False)
    found = await core.web_sessions.lookup(token)
    if found is None or not found.client.startswith(ADMIN_CLIENT_PREFIX):
        raise LoginRequired(expired=True)
    try:
        admin = await core.admin_scope.identify(found.account.id)
    except OutOfScope:
        raise LoginRequired(expired=True) from None
    status = await core.auth.status(admin.account_id)
    if status.must_change_password or (admin.is_centre and not status.totp_enabled):
        await core.web_sessions.revoke(token)
        raise LoginRequired(expired=True)
    if core.clock.now() - found.last_seen_at >= TOUCH_INTERVAL:
        await core.web_sessions.touch(token)
    signed_in = SignedIn(found, token, csrf_for(token), admin)
    request.state.signed_in = signed_in
    request.state.account = admin.address
    return signed_in


async def require_form(request: Request) -> tuple[SignedIn, FormData]:
    """Return the signed-in admin and the posted form, after checking its CSRF token."""
    signed_in = await require_admin(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    return signed_in, form


def check_csrf(form: FormData, expected: str) -> None:
    """Raise CsrfRejected unless the form's token equals `expected` (constant time)."""
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not given or not expected:
        raise CsrfRejected()
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise CsrfRejected()


def new_login_token() -> str:
    return secrets.token_urlsafe(32)
