"""The signed-in session of a request in the webmail.

Cookies and CSRF tokens work as `appliance.web.sessions` describes. The session cookie is
named `session`; the console's is `admin_session`.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from appliance.auth import CredentialStatus
from appliance.web.sessions import LoginRequired, csrf_for, keep_alive, session_token

# Re-exported because callers that only read the session cookie import it from here.
from appliance.web.sessions import cookie_name as cookie_name
from appliance.websessions import WebSessionInfo
from webmail.state import webmail

SESSION_COOKIE = "session"
CSRF_PURPOSE = b"webmail-csrf"


class PasswordChangeRequired(Exception):
    """The account must change its password before it may use any other page."""


@dataclass(frozen=True)
class SignedIn:
    """The session of the current request."""

    session: WebSessionInfo
    token: str
    csrf: str
    credentials: CredentialStatus


async def require_session(request: Request, *, password_page: bool = False) -> SignedIn:
    """Return the session of the request, or raise LoginRequired.

    An account whose password is initial, reset or expired may reach only the password
    page (`password_page`) and sign out; any other page raises PasswordChangeRequired.
    """
    core = webmail(request).core
    token = session_token(request, core.settings, SESSION_COOKIE)
    found = await core.web_sessions.lookup(token)
    if found is None:
        raise LoginRequired(expired=True)
    await keep_alive(core, found, token)
    credentials = await core.auth.status(found.account.id)
    signed_in = SignedIn(found, token, csrf_for(token, CSRF_PURPOSE), credentials)
    request.state.signed_in = signed_in
    request.state.account = found.account.address
    if credentials.must_change_password and not password_page:
        raise PasswordChangeRequired()
    return signed_in
