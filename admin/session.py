"""The signed-in admin of a request.

Sessions are the core's server-side web sessions, with the cookie and CSRF helpers of
`appliance.web.sessions`. The cookie is named `admin_session`, apart from the webmail's,
because browsers send cookies to every port of a host. A session counts for the console
only if the console created it (see `ADMIN_CLIENT_PREFIX`), so a webmail session of an
admin account, which skipped the console's checks, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request

from admin.state import console
from appliance.admin_scope import AdminIdentity
from appliance.errors import OutOfScope
from appliance.web.sessions import (
    LoginRequired,
    check_csrf,
    csrf_for,
    keep_alive,
    session_token,
)
from appliance.websessions import WebSessionInfo

SESSION_COOKIE = "admin_session"
CSRF_PURPOSE = b"admin-csrf"
# Marks sessions of the console in the session's client field, which holds an IP address
# and so can never start with this text for a webmail session.
# NOTE: a service column on web_sessions would be the cleaner mark.
ADMIN_CLIENT_PREFIX = "admin "


@dataclass(frozen=True)
class SignedIn:
    session: WebSessionInfo
    token: str
    csrf: str
    admin: AdminIdentity


async def require_admin(request: Request) -> SignedIn:
    """Return the signed-in admin of the request, or raise LoginRequired.

    The account must still be an active admin, with no password change due, and a centre
    admin must still have two-factor login on.
    """
    core = console(request).core
    token = session_token(request, core.settings, SESSION_COOKIE)
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
    await keep_alive(core, found, token)
    signed_in = SignedIn(found, token, csrf_for(token, CSRF_PURPOSE), admin)
    request.state.signed_in = signed_in
    request.state.account = admin.address
    return signed_in


async def require_form(request: Request) -> tuple[SignedIn, FormData]:
    """Return the signed-in admin and the posted form, after checking its CSRF token."""
    signed_in = await require_admin(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    return signed_in, form
